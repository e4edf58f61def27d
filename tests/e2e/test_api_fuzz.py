"""schemathesis against a real `stratlog serve`: the read and ingest APIs' OpenAPI documents
are valid, and every request generated from them (valid and invalid) is answered as they
document it: no 5xx, a status code and body the document declares, the declared content type.

The read server holds both exporters' recorded sessions and two canonical ones, projected;
generated ids are partly replaced with the ones it holds (tests/e2e/fuzz_servers.py), so
found rows are answered too, not only 404s. The live stream never ends, so it is left out
of the generated run and checked for its refusals alone. The ingest server is a separate
one: what ingest appends must not change what the read run reads.

Bounded for CI: a few examples per operation, derandomized (the same cases every run), about
40 s in all on 2 cores. `api_headers` is what every request carries; credentials go there
once the APIs need them.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingest_api.app import app as ingest_app
from read_api.app import app as read_app
from tests.e2e.fuzz_servers import KnownValues, land_sessions, serving
from tests.e2e.serving import ServerProcess

pytestmark = pytest.mark.slow

STREAM = "/api/v1/stream"
# Every answer as documented. Not `negative_data_rejection`: both APIs take more than their
# documents promise (a Unix time for a date-time, null for an optional field), on purpose.
# Not `positive_data_acceptance`: a cursor this API did not issue is a string to the
# document, yet a 422; so is a bucket width out of range.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# The documents as the apps generate them (the servers must serve these very documents).
DOCUMENTS = {
    "read": (read_app.openapi(), "/openapi.json"),
    "ingest": (ingest_app.openapi(), "/openapi/ingest.json"),
}
KNOWN = KnownValues()
# Explicit configurations, so that no schemathesis.toml found on the way changes the run.
read_api = schemathesis.openapi.from_dict(
    DOCUMENTS["read"][0], config=schemathesis.Config.from_dict({})
).exclude(path=STREAM)
read_api.hook("flatmap_case")(lambda _context, case: KNOWN.substitute(case))
# The coverage phase would post every corner of every event type (3,500 bodies to
# /api/v1/events alone); generated bodies, valid and not, are enough here.
ingest_api = schemathesis.openapi.from_dict(
    DOCUMENTS["ingest"][0],
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


@pytest.fixture(scope="module")
def api_headers() -> dict[str, str]:
    """Headers every generated request carries (none yet: the APIs have no auth)."""
    return {}


@pytest.fixture(scope="module")
def read_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server holding the sessions, projected; `KNOWN` holds their ids meanwhile."""
    with (
        serving(tmp_path_factory.mktemp("fuzz-read")) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        KNOWN.learn(client, land_sessions(client))
        yield server


@pytest.fixture(scope="module")
def ingest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tmp_path_factory.mktemp("fuzz-ingest")) as server:
        yield server


@pytest.mark.parametrize("api", ["read", "ingest"])
def test_each_api_serves_a_valid_openapi_document_that_documents_every_operation(
    api: str, request: pytest.FixtureRequest
) -> None:
    document, url = DOCUMENTS[api]
    server: ServerProcess = request.getfixturevalue(f"{api}_server")
    assert httpx.get(server.url + url).json() == document
    schemathesis.openapi.from_dict(document).validate()
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        summary = operation.get("summary", "")
        assert summary.endswith("."), where  # a sentence from the docstring
        assert "\n" not in summary, where
        responses = operation["responses"]
        answers = [code for code in responses if code.startswith("2")]
        assert answers, where
        if path not in (STREAM, "/metrics"):  # an event stream, Prometheus text
            assert all("schema" in _json_content(responses[code]) for code in answers), where
        refusals = [code for code in responses if code[0] in "45"]
        assert all("schema" in _json_content(responses[code]) for code in refusals), where
        if any(p["name"] == "min_position" for p in operation.get("parameters", ())):
            assert "409" in responses, f"{where} takes min_position"


@read_api.parametrize()
@BOUNDED
def test_the_read_api_answers_generated_requests_as_documented(
    case: schemathesis.Case[Any], read_server: ServerProcess, api_headers: dict[str, str]
) -> None:
    case.call_and_validate(read_server.url, headers=api_headers, checks=CHECKS, timeout=30)


@ingest_api.parametrize()
@BOUNDED
def test_the_ingest_api_answers_generated_requests_as_documented(
    case: schemathesis.Case[Any], ingest_server: ServerProcess, api_headers: dict[str, str]
) -> None:
    case.call_and_validate(ingest_server.url, headers=api_headers, checks=CHECKS, timeout=30)


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ({"run_id": "no-such-run"}, {}, 404),
        ({"run_id": ""}, {}, 422),
        ({"wait": "perhaps"}, {}, 422),
        ({}, {"Last-Event-ID": "x" * 65}, 422),
        ({}, {"Last-Event-ID": "not-one-of-ours"}, 422),
    ],
)
def test_the_stream_refuses_bad_parameters_at_once_as_documented(
    read_server: ServerProcess,
    api_headers: dict[str, str],
    query: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    stream = schemathesis.openapi.from_dict(DOCUMENTS["read"][0])[STREAM]["GET"]
    case = stream.Case(query=query, headers={**api_headers, **headers})
    response = case.call(read_server.url, timeout=5)
    assert response.status_code == status, response.text
    case.validate_response(response, checks=CHECKS)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def _json_content(response: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = response.get("content", {}).get("application/json", {})
    return content
