"""The OpenAPI document describes every ingest route, with a request body a fuzzer can use."""

from typing import Any

import pytest

from ingest_api.app import create_app
from schema.events import EVENT_TYPES

DOCUMENT = create_app().openapi()
OPERATIONS = [
    (path, method, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs_in(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs_in(value)]
    return []


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=lambda v: str(v)[:40])
def test_every_route_has_a_summary_and_a_request_body(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    summary = operation["summary"]
    assert summary.endswith(".")  # a sentence from the docstring, not the function's name
    assert "\n" not in summary
    if method in ("get", "delete"):  # import records, keys, a key's revocation: no body
        assert "requestBody" not in operation
        return
    content = operation["requestBody"]["content"]
    body = (content.get("application/json") or content["multipart/form-data"])["schema"]
    assert body


def test_every_reference_resolves() -> None:
    components = DOCUMENT["components"]["schemas"]
    prefix = "#/components/schemas/"

    missing = {ref for ref in refs_in(DOCUMENT) if ref.removeprefix(prefix) not in components}

    assert missing == set()


def test_the_canonical_body_offers_every_event_type_with_an_optional_event_id() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    mapping = schemas["CanonicalEvent"]["discriminator"]["mapping"]

    assert set(mapping) == set(EVENT_TYPES)
    for ref in mapping.values():
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert "event_id" in schema["properties"]
        assert "type" in schema["required"]
        assert "event_id" not in schema["required"]


def test_a_compat_item_documents_its_legacy_names_and_takes_unknown_keys() -> None:
    order = DOCUMENT["components"]["schemas"]["CompatOrderItem"]

    assert {"submit_time", "submit_utc", "status"} <= order["properties"].keys()
    assert order["additionalProperties"] is True
    assert "type" not in order["properties"]
