"""Run routes: runs, their orders (current state and history), executions, OCO groups and
bars, on the dashboards' paths (`/api/runs/…`, `/api/executions/…`, `/api/bars/`) and their
v1 twins under `/api/v1/runs`.

Lists are keyset pages (`limit`, and the opaque `cursor` of the previous page) in a stable
order: runs by run id or start time (read_api/run_list.py), orders by order id, an order's
history by log position, executions by (exec_utc, log position), OCO groups by group id,
bars by (ts_utc, series id). A run is known when it has a `strategy_runs` row (404
otherwise); placeholder rows are listed with `placeholder` true.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from read_api import catalog_queries as q
from read_api.connections import reading
from read_api.consistency import reflecting
from read_api.dependencies import StoresDep
from read_api.errors import ErrorBody, NotFound
from read_api.routes.documented import reflecting_router
from read_api.routes.params import Cursor, Id, require_run, require_utc
from read_api.run_list import (
    RunFilters,
    RunSort,
    run_row,
    runs_page,
    sort_key_kinds,
    sort_key_names,
)
from read_api.run_models import (
    ExecutionItem,
    ExecutionPage,
    HeadlineMetrics,
    OcoGroupItem,
    OcoGroupPage,
    OcoLeg,
    OrderChange,
    OrderHistoryPage,
    OrderItem,
    OrderPage,
    RunDetail,
    RunItem,
    RunPage,
)
from schema.tables.projections import strategy_instances

router = reflecting_router("runs", "projection")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown run, order or instance."},
    422: {"model": ErrorBody, "description": "A parameter is not valid."},
    503: {"model": ErrorBody, "description": "The projection store cannot be read."},
}
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Filter = Annotated[str | None, Query(min_length=1, max_length=256)]


async def _runs(
    stores: StoresDep, filters: RunFilters, sort: RunSort, limit: int, cursor: str | None
) -> RunPage:
    after = q.cursor_key(cursor, sort_key_kinds(sort))
    async with reading(stores.projections) as conn:
        rows = await runs_page(conn, filters, sort, after, limit + 1)
    return RunPage(
        items=[RunItem.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, sort_key_names(sort)),
    )


@router.get("/api/v1/runs", response_model=RunPage, responses=_ERRORS)
async def list_runs(
    stores: StoresDep,
    strategy_id: Filter = None,
    instance_id: Filter = None,
    run_type: Filter = None,
    status: Filter = None,
    symbol: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=256,
            description="Runs whose instance, orders or bars are of this symbol.",
        ),
    ] = None,
    active_since: Annotated[
        datetime | None, Query(description="Runs not ended before this time (ISO-8601, UTC).")
    ] = None,
    active_until: Annotated[
        datetime | None, Query(description="Runs started by this time (ISO-8601, UTC).")
    ] = None,
    sort: Annotated[
        RunSort,
        Query(description="run_id, start_utc or -start_utc (newest first); ties by run id."),
    ] = "run_id",
    limit: Limit = 100,
    cursor: Cursor = None,
) -> RunPage:
    """Runs matching every filter given, in the order asked (by run id by default)."""
    require_utc(("active_since", active_since), ("active_until", active_until))
    filters = RunFilters(
        strategy_id=strategy_id,
        instance_id=instance_id,
        run_type=run_type,
        status=status,
        symbol=symbol,
        active_since=active_since,
        active_until=active_until,
    )
    return await _runs(stores, filters, sort, limit, cursor)


@router.get("/api/runs/instance/{instance_id}", response_model=RunPage, responses=_ERRORS)
async def dashboard_instance_runs(
    stores: StoresDep, instance_id: Id, limit: Limit = 1000, cursor: Cursor = None
) -> RunPage:
    """An instance's runs, by run id."""
    async with reading(stores.projections) as conn:
        if not await q.exists(conn, strategy_instances, "instance_id", instance_id):
            raise NotFound(f"no instance {instance_id!r}")
    return await _runs(stores, RunFilters(instance_id=instance_id), "run_id", limit, cursor)


async def _run_detail(stores: StoresDep, run_id: str) -> RunDetail:
    async with reading(stores.projections) as conn:
        row = await run_row(conn, run_id)
        if row is None:
            raise NotFound(f"no run {run_id!r}")
        metrics = await q.headline_metrics(conn, run_id)
    headline = HeadlineMetrics.model_validate(metrics) if metrics else None
    return RunDetail.model_validate({**row, "metrics": headline})


# The detail carries headline metrics, which trail the projections: after the router's wait
# for them, wait for (and put in the header) the run's analytics horizon, never later.
_WITH_METRICS = [reflecting("analytics")]


@router.get(
    "/api/runs/{run_id}", response_model=RunDetail, responses=_ERRORS, dependencies=_WITH_METRICS
)
async def dashboard_run(stores: StoresDep, run_id: Id) -> RunDetail:
    """A run and its headline metrics."""
    return await _run_detail(stores, run_id)


@router.get(
    "/api/v1/runs/{run_id}", response_model=RunDetail, responses=_ERRORS, dependencies=_WITH_METRICS
)
async def get_run(stores: StoresDep, run_id: Id) -> RunDetail:
    """A run and its headline metrics."""
    return await _run_detail(stores, run_id)


@router.get("/api/v1/runs/{run_id}/orders", response_model=OrderPage, responses=_ERRORS)
async def run_orders(
    stores: StoresDep, run_id: Id, limit: Limit = 100, cursor: Cursor = None
) -> OrderPage:
    """A run's orders in their current state, by order id."""
    after = q.cursor_key(cursor, ["str"])
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        rows = await q.orders_page(conn, run_id, after, limit + 1)
    return OrderPage(
        items=[OrderItem.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, ["order_id"]),
    )


@router.get(
    "/api/v1/runs/{run_id}/orders/{order_id}/history",
    response_model=OrderHistoryPage,
    responses=_ERRORS,
)
async def order_history(
    stores: StoresDep, run_id: Id, order_id: Id, limit: Limit = 100, cursor: Cursor = None
) -> OrderHistoryPage:
    """The events that changed an order, in log order."""
    after = q.cursor_key(cursor, ["int"])
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        if not await q.order_known(conn, run_id, order_id):
            raise NotFound(f"run {run_id!r} has no order {order_id!r}")
        rows = await q.history_page(conn, run_id, order_id, after, limit + 1)
    return OrderHistoryPage(
        run_id=run_id,
        order_id=order_id,
        items=[OrderChange.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, ["position"]),
    )


async def _executions(
    stores: StoresDep, run_id: str, limit: int, cursor: str | None
) -> ExecutionPage:
    after = q.cursor_key(cursor, ["time", "int"])
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        rows = await q.executions_page(conn, run_id, after, limit + 1)
    return ExecutionPage(
        items=[ExecutionItem.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, ["exec_utc", "position"]),
    )


@router.get("/api/executions/run/{run_id}", response_model=ExecutionPage, responses=_ERRORS)
async def dashboard_run_executions(
    stores: StoresDep, run_id: Id, limit: Limit = 1000, cursor: Cursor = None
) -> ExecutionPage:
    """A run's executions by time, side, symbol and account completed from the order."""
    return await _executions(stores, run_id, limit, cursor)


@router.get("/api/v1/runs/{run_id}/executions", response_model=ExecutionPage, responses=_ERRORS)
async def run_executions(
    stores: StoresDep, run_id: Id, limit: Limit = 100, cursor: Cursor = None
) -> ExecutionPage:
    """A run's executions by time, side, symbol and account completed from the order."""
    return await _executions(stores, run_id, limit, cursor)


@router.get("/api/v1/runs/{run_id}/oco-groups", response_model=OcoGroupPage, responses=_ERRORS)
async def run_oco_groups(
    stores: StoresDep, run_id: Id, limit: Limit = 100, cursor: Cursor = None
) -> OcoGroupPage:
    """A run's OCO groups with their legs, by group id."""
    after = q.cursor_key(cursor, ["str"])
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        groups = await q.oco_groups_page(conn, run_id, after, limit + 1)
        page = groups[:limit]
        legs = await q.oco_legs(conn, run_id, [g["oco_group_id"] for g in page])
    by_group: dict[str, list[OcoLeg]] = {}
    for leg in legs:
        by_group.setdefault(leg["oco_group_id"], []).append(OcoLeg.model_validate(leg))
    items = [
        OcoGroupItem.model_validate({**g, "legs": by_group.get(g["oco_group_id"], [])})
        for g in page
    ]
    return OcoGroupPage(items=items, next_cursor=q.page_cursor(groups, limit, ["oco_group_id"]))
