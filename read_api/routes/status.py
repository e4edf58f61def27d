"""Projection status routes: `GET /api/status` (JSON) and `GET /metrics` (Prometheus)."""

from typing import Annotated, Any

from fastapi import Query, Response

from read_api.dependencies import ClockDep, DoorbellDep, StoresDep
from read_api.errors import ErrorBody
from read_api.metrics import CONTENT_TYPE, render
from read_api.routes.documented import guarded_router
from read_api.status import ProjectionStatus, gather_status

router = guarded_router("status")

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "A store cannot be read."}
}

BehindOnly = Annotated[
    bool, Query(description="List only partitions that are behind the log or halted.")
]


@router.get("/api/status", response_model=ProjectionStatus, responses=_UNAVAILABLE)
async def projection_status(
    stores: StoresDep, doorbell: DoorbellDep, clock: ClockDep, behind: BehindOnly = False
) -> ProjectionStatus:
    """Projection progress: log head, each partition's checkpoint and lag, halts, doorbell."""
    status = await gather_status(stores, doorbell, clock())
    if behind:  # totals still cover every partition
        behind_only = [p for p in status.partitions if p.lag_events or p.halted]
        status = status.model_copy(update={"partitions": behind_only})
    return status


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}, **_UNAVAILABLE},
)
async def metrics(stores: StoresDep, doorbell: DoorbellDep, clock: ClockDep) -> Response:
    """The projection status as Prometheus metrics (text exposition format)."""
    status = await gather_status(stores, doorbell, clock())
    return Response(render(status), media_type=CONTENT_TYPE)
