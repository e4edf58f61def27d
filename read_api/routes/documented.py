"""How the read API documents itself in OpenAPI.

Every read router uses `DocumentedRoute`: the OpenAPI summary is the docstring's first line,
so the one-line docstring each route must have is also what the API documentation shows.
Every router is guarded: its routes need the `read` scope and document 401 and 403.

`install_openapi` keeps the generated document valid OpenAPI 3.1. FastAPI (0.165) describes
a Server-Sent Events response with `itemSchema`, a keyword of OpenAPI 3.2, inside a document
it labels 3.1.0; validators and client generators then refuse the whole document. Labelling
it 3.2 instead would trade that for the tools that read 3.1 only, so the keyword is dropped:
the stream keeps its media type, and its route's description lists its events.
"""

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from read_api.consistency import NOT_YET_PROJECTED, Source, reflecting
from read_api.errors import ErrorBody
from schema.security.http import UNAUTHORIZED, require

REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {**answer, "model": ErrorBody} for status, answer in UNAUTHORIZED.items()
}
"""401 and 403, which every read route can answer (each needs the `read` scope)."""

_NOT_IN_OPENAPI_31 = "itemSchema"


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its endpoint's docstring."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None:
            kwargs["summary"] = (inspect.getdoc(endpoint) or "").split("\n", 1)[0] or None
        super().__init__(path, endpoint, **kwargs)


def install_openapi(app: FastAPI) -> None:
    """Serve the app's generated document without what OpenAPI 3.1 does not allow."""
    generate = app.openapi  # FastAPI's: generates once, then returns the same document

    def openapi() -> dict[str, Any]:
        document = generate()
        for methods in document.get("paths", {}).values():
            for operation in methods.values():
                for response in operation.get("responses", {}).values():
                    for media_type in response.get("content", {}).values():
                        media_type.pop(_NOT_IN_OPENAPI_31, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def guarded_router(tag: str) -> APIRouter:
    """A router of documented routes open to callers holding the `read` scope."""
    return APIRouter(
        tags=[tag],
        route_class=DocumentedRoute,
        dependencies=[Depends(require("read"))],
        responses=REFUSALS,
    )


def reflecting_router(tag: str, source: Source) -> APIRouter:
    """A guarded router whose answers reflect `source`, with `min_position`.

    The caller is checked first: a refused request never waits for the projections.
    """
    return APIRouter(
        tags=[tag],
        route_class=DocumentedRoute,
        dependencies=[Depends(require("read")), reflecting(source)],
        responses={**REFUSALS, **NOT_YET_PROJECTED},
    )
