"""Raw events from the log: a run's, or a range of positions of the whole log.

These routes read the log store, not the projections: what an exporter sent, canonicalised,
in the order the projector applies it, whatever the projections made of it. Pages are in log
position order (`limit`, and the opaque `cursor` of the previous page); `type` (repeatable)
keeps only those event types. A run is known when the log holds an event of it (404
otherwise), so a run whose events were never projected can still be read here.
"""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Query, Response

from read_api import log_queries
from read_api.connections import reading
from read_api.consistency import POSITION_HEADER
from read_api.cursors import decode_cursor
from read_api.dependencies import StoresDep
from read_api.errors import ErrorBody, InvalidParameter, NotFound
from read_api.log_models import LogEventPage, page_json
from read_api.routes.documented import reflecting_router
from read_api.routes.params import Cursor, Id
from schema.events import EVENT_TYPES

router = reflecting_router("log", "log")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No event of that run in the log."},
    422: {"model": ErrorBody, "description": "A parameter is not valid."},
    503: {"model": ErrorBody, "description": "The log store cannot be read."},
}
_MAX_POSITION = 2**63 - 1
Limit = Annotated[int, Query(ge=1, le=1000, description="Events per page.")]
First = Annotated[
    int | None, Query(ge=0, le=_MAX_POSITION, description="First position (inclusive).")
]
Last = Annotated[
    int | None, Query(ge=0, le=_MAX_POSITION, description="Last position (inclusive).")
]
Types = Annotated[
    list[str] | None,
    Query(
        alias="type",
        description="Only events of this type; repeat for several. One of: "
        + ", ".join(sorted(EVENT_TYPES))
        + ".",
    ),
]


def _known_types(types: Sequence[str] | None) -> list[str]:
    unknown = sorted({name for name in types or () if name not in EVENT_TYPES})
    if unknown:
        raise InvalidParameter(f"type: unknown event type {unknown[0]!r}")
    return sorted(set(types or ()))


def _after(floor: int, cursor: str | None) -> int:
    """The position a page starts after: the floor asked for, or the cursor's if later."""
    if cursor is None:
        return floor
    (position,) = decode_cursor(cursor, [int])
    return max(floor, int(position))


def _json(body: bytes, reflected: Response) -> Response:
    """The page as the answer, with the position header `reflecting` put on `reflected`:
    FastAPI drops the injected response's headers when a route returns its own Response."""
    position = {POSITION_HEADER: reflected.headers[POSITION_HEADER]}
    return Response(content=body, media_type="application/json", headers=position)


@router.get("/api/v1/runs/{run_id}/events", response_model=LogEventPage, responses=_ERRORS)
async def run_events(
    stores: StoresDep,
    response: Response,
    run_id: Id,
    after_position: Annotated[
        int, Query(ge=0, le=_MAX_POSITION, description="Only events after this position.")
    ] = 0,
    types: Types = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    """A run's events as the log holds them, in log order."""
    wanted = _known_types(types)
    after = _after(after_position, cursor)
    async with reading(stores.log, "log") as conn:
        rows = await log_queries.run_events(conn, run_id, after, wanted, limit + 1)
        if not rows and not await log_queries.run_logged(conn, run_id):
            raise NotFound(f"no event of run {run_id!r} in the log")
    return _json(page_json(rows, limit), response)


@router.get("/api/v1/events", response_model=LogEventPage, responses=_ERRORS)
async def log_events(
    stores: StoresDep,
    response: Response,
    from_position: First = None,
    to_position: Last = None,
    types: Types = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    """The log's events between two positions (both included), in log order."""
    if from_position is not None and to_position is not None and from_position > to_position:
        raise InvalidParameter("from_position: after to_position")
    wanted = _known_types(types)
    after = _after(-1 if from_position is None else from_position - 1, cursor)
    async with reading(stores.log, "log") as conn:
        rows = await log_queries.log_range(conn, after, to_position, wanted, limit + 1)
    return _json(page_json(rows, limit), response)
