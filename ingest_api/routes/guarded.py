"""Routers whose every route needs a scope: `ingest` for appending, `admin` for imports.

The scope is checked before a handler reads its body, so a caller without a valid key never
costs a body read (schema/security/http.py). The 401 and 403 answers are documented on every
route, with the error body.
"""

from typing import Any

from fastapi import APIRouter, Depends

from ingest_api.openapi import DocumentedRoute
from ingest_api.responses import ErrorBody
from schema.security.http import UNAUTHORIZED, require
from schema.security.principals import Scope

REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {**answer, "model": ErrorBody} for status, answer in UNAUTHORIZED.items()
}


def guarded_router(tag: str, scope: Scope) -> APIRouter:
    """A router of documented routes open only to callers holding `scope`."""
    return APIRouter(
        tags=[tag],
        route_class=DocumentedRoute,
        dependencies=[Depends(require(scope))],
        responses=REFUSALS,
    )
