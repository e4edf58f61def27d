"""Request body schemas in the OpenAPI document, derived from the event models.

Routes read their bodies themselves (size limits, gzip, NDJSON, per-item quarantine), so
FastAPI cannot infer what they accept; each route declares it with `openapi_extra` pointing at
a component built here: a canonical event per type (`type` required, `event_id` optional), and
per compat kind the exporter's item (the event's fields, their legacy names, unknown keys
allowed where they are folded into `extra_json`). A fuzzer drives the API from these.
"""

import inspect
from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from ingest_api.compat import ALIASES, BATCH_KINDS, ItemKind, event_classes
from schema.events import EVENT_CLASSES, Event, wire_type

JsonSchema = dict[str, Any]
_REF = "#/components/schemas/{model}"
_EVENT_ID: JsonSchema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": "Client's id; derived from the type, content and time when absent.",
}
# Fields a route fills in itself, so they are not part of its body.
_ROUTE_FIELDS: dict[ItemKind, frozenset[str]] = {
    ItemKind.RUNS_START: frozenset({"run_id"}),
    ItemKind.RUNS_STOP: frozenset({"run_id"}),
}


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its endpoint's docstring."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None:
            kwargs["summary"] = (inspect.getdoc(endpoint) or "").split("\n", 1)[0] or None
        super().__init__(path, endpoint, **kwargs)


def ref(name: str) -> JsonSchema:
    return {"$ref": _REF.format(model=name)}


def json_body(schema: JsonSchema, *, required: bool = True) -> dict[str, Any]:
    """An `openapi_extra` declaring a JSON request body."""
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": required, "content": content}}


def compat_item_name(kind: ItemKind) -> str:
    return "Compat" + "".join(part.capitalize() for part in kind.value.split("_")) + "Item"


def canonical_body() -> dict[str, Any]:
    """Canonical events: an array of them or one of them."""
    return json_body(
        {"anyOf": [{"type": "array", "items": ref("CanonicalEvent")}, ref("CanonicalEvent")]}
    )


def stream_body() -> dict[str, Any]:
    """`{orders: [...], executions: [...], bars: [...]}`, every section optional."""
    sections = {
        name: {"type": "array", "items": ref(compat_item_name(kind))}
        for name, kind in BATCH_KINDS.items()
    }
    return json_body({"type": "object", "properties": sections})


@cache
def request_components() -> dict[str, JsonSchema]:
    """Every component the request bodies refer to."""
    components: dict[str, JsonSchema] = {}
    mapping = {}
    for cls in EVENT_CLASSES:
        schema = _event_schema(cls, components)
        schema["properties"]["event_id"] = _EVENT_ID
        schema["required"] = sorted({*schema.get("required", ()), "type"})
        components[cls.__name__] = schema
        mapping[wire_type(cls)] = _REF.format(model=cls.__name__)
    components["CanonicalEvent"] = {
        "oneOf": [ref(cls.__name__) for cls in EVENT_CLASSES],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    for kind in ItemKind:
        components[compat_item_name(kind)] = _compat_schema(kind, components)
    return components


def _event_schema(cls: type[Event], components: dict[str, JsonSchema]) -> JsonSchema:
    schema = cls.model_json_schema(ref_template=_REF, mode="validation")
    components.update(schema.pop("$defs", {}))
    return schema


def _compat_schema(kind: ItemKind, components: dict[str, JsonSchema]) -> JsonSchema:
    cls = event_classes(kind)[-1]  # orders: order.updated declares every order field
    schema = _event_schema(cls, components)
    dropped = {"type", "version"} | _ROUTE_FIELDS.get(kind, frozenset())
    properties = {k: v for k, v in schema["properties"].items() if k not in dropped}
    required = [name for name in schema.get("required", ()) if name not in dropped]
    alternatives = []
    for legacy, current in ALIASES[kind].items():
        properties[legacy] = {**properties[current], "description": f"Older name of {current}."}
        if current in required:
            required.remove(current)
            alternatives.append({"anyOf": [{"required": [current]}, {"required": [legacy]}]})
    properties["event_id"] = _EVENT_ID
    result: JsonSchema = {
        "title": compat_item_name(kind),
        "type": "object",
        "properties": properties,
        # Unknown keys are kept in extra_json when the event type has one, refused otherwise.
        "additionalProperties": "extra_json" in properties,
    }
    if required:
        result["required"] = required
    if alternatives:
        result["allOf"] = alternatives
    if kind is ItemKind.STRATEGY:  # the strategy's own version: not the event's version
        properties["version"]["description"] = "The strategy's own version label."
    return result


def install_openapi(app: FastAPI) -> None:
    """Add the request body components to the app's generated document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(
                request_components()
            )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
