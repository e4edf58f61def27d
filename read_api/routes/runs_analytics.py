"""Run analytics routes: trades (also on the dashboards' path), FIFO matches, open positions,
the equity curve, metrics per run, instance and strategy, and the compare endpoint.

Everything is read from tables the projector computed when the run changed (DESIGN §5.2): a
GET never reconstructs or measures anything. A run is known when it has a `strategy_runs`
row (404 otherwise); a known run whose analytics are not computed yet has no trades and null
metrics. Lists are paginated with `limit` and the opaque `cursor` of the previous page.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Query

from read_api.analytics import queries
from read_api.analytics.metrics_models import (
    CompareRequest,
    InstanceMetricsResponse,
    RunMetricsResponse,
    StrategyMetricsResponse,
)
from read_api.analytics.models import (
    DashboardTradeItem,
    DashboardTradePage,
    EquityPage,
    EquityPoint,
    LotMatchItem,
    LotMatchPage,
    OpenPositionItem,
    OpenPositions,
    TradeItem,
    TradePage,
)
from read_api.analytics.summaries import instance_summary, run_summary, strategy_summary
from read_api.connections import reading
from read_api.cursors import decode_cursor, encode_cursor
from read_api.dependencies import StoresDep
from read_api.errors import UNREADABLE_BODY, ErrorBody, InvalidParameter, NotFound
from read_api.routes.documented import reflecting_router
from read_api.routes.params import Cursor, Id, require_run
from schema.tables.projections import (
    instance_metrics,
    strategies,
    strategy_instances,
    strategy_metrics,
)

router = reflecting_router("analytics", "analytics")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown run, trade, instance or strategy."},
    422: {"model": ErrorBody, "description": "A parameter is not valid."},
    503: {"model": ErrorBody, "description": "The projection store cannot be read."},
}
TradeLimit = Annotated[int, Query(ge=1, le=1000, description="Trades per page.")]
RowLimit = Annotated[int, Query(ge=1, le=10_000, description="Rows per page.")]
Symbol = Annotated[str | None, Query(max_length=256, description="Only this symbol.")]
Direction = Annotated[Literal["LONG", "SHORT"] | None, Query(description="Only this side.")]
Outcome = Annotated[
    Literal["WIN", "LOSS", "BREAKEVEN"] | None, Query(description="Only this outcome.")
]


def _trade_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    exit_utc, trade_id = decode_cursor(cursor, (str, str))
    try:
        moment = datetime.fromisoformat(str(exit_utc))
        if moment.tzinfo is None:
            raise ValueError("a naive time")
        return moment.astimezone(UTC), str(trade_id)
    except (ValueError, OverflowError) as exc:
        raise InvalidParameter("cursor: not a cursor this API issued") from exc


def _number_cursor(cursor: str | None) -> int | None:
    return None if cursor is None else int(decode_cursor(cursor, (int,))[0])


async def _trades(
    stores: StoresDep, run_id: str, limit: int, cursor: str | None, filters: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    after = _trade_cursor(cursor)
    wanted = {column: value for column, value in filters.items() if value is not None}
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        rows = await queries.trades_after(conn, run_id, after, limit + 1, wanted)
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    last = page[-1]
    return page, encode_cursor([last["exit_utc"].isoformat(), last["trade_id"]])


@router.get("/api/v1/runs/{run_id}/trades", response_model=TradePage, responses=_ERRORS)
async def run_trades(
    stores: StoresDep,
    run_id: Id,
    limit: TradeLimit = 100,
    cursor: Cursor = None,
    symbol: Symbol = None,
    side: Direction = None,
    outcome: Outcome = None,
) -> TradePage:
    """A run's closed trades, by exit time then trade id."""
    filters = {"symbol": symbol, "side": side, "outcome": outcome}
    rows, next_cursor = await _trades(stores, run_id, limit, cursor, filters)
    return TradePage(items=[TradeItem.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/api/runs/{run_id}/trades", response_model=DashboardTradePage, responses=_ERRORS)
async def dashboard_run_trades(
    stores: StoresDep,
    run_id: Id,
    limit: TradeLimit = 100,
    cursor: Cursor = None,
    symbol: Symbol = None,
    side: Direction = None,
    outcome: Outcome = None,
) -> DashboardTradePage:
    """A run's closed trades with the dashboards' field names (entry_time, exit_time)."""
    filters = {"symbol": symbol, "side": side, "outcome": outcome}
    rows, next_cursor = await _trades(stores, run_id, limit, cursor, filters)
    items = [
        DashboardTradeItem.model_validate(
            {**row, "entry_time": row["entry_utc"], "exit_time": row["exit_utc"]}
        )
        for row in rows
    ]
    return DashboardTradePage(items=items, next_cursor=next_cursor)


@router.get(
    "/api/v1/runs/{run_id}/trades/{trade_id}/matches",
    response_model=LotMatchPage,
    responses=_ERRORS,
)
async def trade_matches(
    stores: StoresDep, run_id: Id, trade_id: Id, limit: RowLimit = 1000, cursor: Cursor = None
) -> LotMatchPage:
    """A trade's FIFO lot matches, by match number."""
    after = _number_cursor(cursor)
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        if not await queries.trade_known(conn, run_id, trade_id):
            raise NotFound(f"run {run_id!r} has no trade {trade_id!r}")
        rows = await queries.matches_after(conn, trade_id, after, limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    return LotMatchPage(
        run_id=run_id,
        trade_id=trade_id,
        items=[LotMatchItem.model_validate(row) for row in page],
        next_cursor=encode_cursor([page[-1]["match_number"]]) if more else None,
    )


@router.get("/api/v1/runs/{run_id}/open-positions", response_model=OpenPositions, responses=_ERRORS)
async def run_open_positions(stores: StoresDep, run_id: Id) -> OpenPositions:
    """A run's positions still open after its last fill, marked at the last bar close."""
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        rows = await queries.open_positions_of(conn, run_id)
    return OpenPositions(run_id=run_id, items=[OpenPositionItem.model_validate(r) for r in rows])


@router.get("/api/v1/runs/{run_id}/equity", response_model=EquityPage, responses=_ERRORS)
async def run_equity(
    stores: StoresDep, run_id: Id, limit: RowLimit = 1000, cursor: Cursor = None
) -> EquityPage:
    """A run's marked-to-market equity curve and drawdown, in time order."""
    after = _number_cursor(cursor)
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        rows = await queries.equity_after(conn, run_id, after, limit + 1)
        metrics = (await queries.metrics_of_runs(conn, [run_id])).get(run_id) or {}
    page = rows[:limit]
    return EquityPage(
        run_id=run_id,
        initial_balance=metrics.get("initial_balance"),
        start_utc=metrics.get("start_utc"),
        items=[EquityPoint.model_validate(row) for row in page],
        next_cursor=encode_cursor([page[-1]["seq"]]) if len(rows) > limit else None,
    )


@router.get("/api/v1/runs/{run_id}/metrics", response_model=RunMetricsResponse, responses=_ERRORS)
async def run_metrics(stores: StoresDep, run_id: Id) -> RunMetricsResponse:
    """A run's metrics (docs/metrics.md); null figures until the projector computed them."""
    async with reading(stores.projections) as conn:
        await require_run(conn, run_id)
        row = (await queries.metrics_of_runs(conn, [run_id])).get(run_id)
    return run_summary(run_id, row)


@router.post(
    "/api/metrics/compare",
    response_model=list[RunMetricsResponse],
    responses={**_ERRORS, **UNREADABLE_BODY},
)
async def compare_runs(stores: StoresDep, request: CompareRequest) -> list[RunMetricsResponse]:
    """The metrics of several runs side by side, one object per run, in the order asked."""
    run_ids = list(dict.fromkeys(request.run_ids))
    async with reading(stores.projections) as conn:
        unknown = await queries.unknown_runs(conn, run_ids)
        if unknown:
            raise NotFound(f"unknown runs: {', '.join(repr(run_id) for run_id in unknown)}")
        rows = await queries.metrics_of_runs(conn, run_ids)
    return [run_summary(run_id, rows.get(run_id)) for run_id in run_ids]


@router.get(
    "/api/v1/instances/{instance_id}/metrics",
    response_model=InstanceMetricsResponse,
    responses=_ERRORS,
)
async def instance_metrics_route(stores: StoresDep, instance_id: Id) -> InstanceMetricsResponse:
    """The metrics of all of an instance's runs held together as one portfolio."""
    async with reading(stores.projections) as conn:
        if not await queries.exists(conn, strategy_instances, "instance_id", instance_id):
            raise NotFound(f"no instance {instance_id!r}")
        row = await queries.row_of(conn, instance_metrics, "instance_id", instance_id)
    return instance_summary(instance_id, row)


@router.get(
    "/api/v1/strategies/{strategy_id}/metrics",
    response_model=StrategyMetricsResponse,
    responses=_ERRORS,
)
async def strategy_metrics_route(stores: StoresDep, strategy_id: Id) -> StrategyMetricsResponse:
    """The metrics of all of a strategy's runs held together as one portfolio."""
    async with reading(stores.projections) as conn:
        if not await queries.exists(conn, strategies, "strategy_id", strategy_id):
            raise NotFound(f"no strategy {strategy_id!r}")
        row = await queries.row_of(conn, strategy_metrics, "strategy_id", strategy_id)
    return strategy_summary(strategy_id, row)
