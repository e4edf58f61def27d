"""Diagnostics routes: what the projector could not attach, what ingest refused, who went
silent. `GET /api/v1/orphans`, `GET /api/v1/quarantine`, `GET /api/v1/runs/stale`."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field, JsonValue

from read_api.connections import reading
from read_api.cursors import decode_cursor, encode_cursor
from read_api.dependencies import ClockDep, SettingsDep, StoresDep
from read_api.diagnostics import orphans, quarantined, stale_runs
from read_api.errors import ErrorBody
from read_api.routes.documented import reflecting_router

router = reflecting_router("diagnostics", "projection")

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "A parameter is not valid."},
    503: {"model": ErrorBody, "description": "A store cannot be read."},
}
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page (per kind).")]
_CENTURY_S = 100 * 365 * 86_400  # a longer silence reaches back past what a time can hold


class OrphanGroup(BaseModel):
    """Placeholders of one kind: their number and the first `limit` of them."""

    count: int
    items: list[dict[str, JsonValue]]


class Orphans(BaseModel):
    """Rows known only because something referred to them; they resolve when their own
    event arrives (an order seen only in fills, a run seen only in its events…)."""

    orders: OrphanGroup
    runs: OrphanGroup
    oco_groups: OrphanGroup
    instances: OrphanGroup
    strategies: OrphanGroup


class QuarantineItem(BaseModel):
    """An item ingest refused, kept with its raw text and the reasons."""

    quarantine_id: int
    received_utc: datetime
    source: str = Field(description="The endpoint that received it.")
    item_index: int = Field(description="Its index in the request.")
    event_id: str | None
    event_type: str | None
    run_id: str | None
    raw: str
    errors: list[dict[str, str]]
    status: str = Field(description="OPEN, or RESUBMITTED once a fixed copy was appended.")
    resubmitted_position: int | None


class QuarantinePage(BaseModel):
    items: list[QuarantineItem]
    next_cursor: str | None = Field(description="Send as `cursor` for the next page.")


class StaleRun(BaseModel):
    run_id: str
    instance_id: str | None
    strategy_id: str | None
    run_type: str | None
    last_heartbeat_utc: datetime | None
    last_event_utc: datetime | None
    last_activity_utc: datetime | None
    silent_seconds: float | None


class StaleRuns(BaseModel):
    """Live runs still RUNNING with no heartbeat or event for `silent_for_seconds`."""

    silent_for_seconds: float
    items: list[StaleRun]


@router.get("/api/v1/orphans", response_model=Orphans, responses=_ERRORS)
async def list_orphans(stores: StoresDep, limit: Limit = 100) -> Orphans:
    """Orphans: orders, runs, OCO groups, instances and strategies known only by reference."""
    async with reading(stores.projections, "projection") as conn:
        found = await orphans(conn, limit)
    groups = {
        kind: OrphanGroup(count=count, items=[_json_row(r) for r in rows])
        for kind, (count, rows) in found.items()
    }
    return Orphans(**groups)


@router.get("/api/v1/quarantine", response_model=QuarantinePage, responses=_ERRORS)
async def list_quarantine(
    stores: StoresDep,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(description="From a previous page.")] = None,
    run_id: Annotated[str | None, Query(description="Only items of this run.")] = None,
    open_only: Annotated[bool, Query(description="Only items not resubmitted yet.")] = False,
) -> QuarantinePage:
    """Quarantined input, oldest first: the raw item, where it came from and why it failed."""
    after = int(decode_cursor(cursor, [int])[0]) if cursor else 0
    async with reading(stores.log, "log") as conn:
        rows = await quarantined(
            conn, after=after, limit=limit + 1, run_id=run_id, open_only=open_only
        )
    items = [QuarantineItem.model_validate(row) for row in rows[:limit]]
    # Read one more than asked: a cursor only when a next page holds something.
    next_cursor = encode_cursor([items[-1].quarantine_id]) if len(rows) > limit else None
    return QuarantinePage(items=items, next_cursor=next_cursor)


@router.get("/api/v1/runs/stale", response_model=StaleRuns, responses=_ERRORS)
async def list_stale_runs(
    stores: StoresDep,
    settings: SettingsDep,
    clock: ClockDep,
    silent_for_seconds: Annotated[
        float | None,
        Query(gt=0, le=_CENTURY_S, description="Default: STRATLOG_STALE_AFTER_SECONDS."),
    ] = None,
) -> StaleRuns:
    """Stale runs: live runs still RUNNING with no heartbeat or event for a while."""
    silent_for = silent_for_seconds or settings.stale_after_seconds
    async with reading(stores.projections, "projection") as conn:
        rows = await stale_runs(conn, clock(), timedelta(seconds=silent_for))
    return StaleRuns(
        silent_for_seconds=silent_for, items=[StaleRun.model_validate(r) for r in rows]
    )


def _json_row(row: dict[str, Any]) -> dict[str, JsonValue]:
    return {k: v if not isinstance(v, datetime) else v.isoformat() for k, v in row.items()}
