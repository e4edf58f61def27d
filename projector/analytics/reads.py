"""Reading what the analytics stage needs, on the stage's own connection (inside its write
transaction, so it sees the state it is about to replace and nothing half-written).

`run_rows` gathers one run's inputs: its run row, orders, executions, OCO links, series, the
bars of the finest series per symbol (as `Bar` values), and the instruments of the symbols
it trades.
`stored_run` reads back a run's analytics rows for aggregation, `member_runs` the
`run_metrics` rows of an instance's or a strategy's runs.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.analytics.inputs import (
    WILDCARD_SCOPE,
    RunRows,
    fills_of,
    finest_series,
    order_facts_of,
    traded_symbols,
)
from projector.analytics.stored import StoredRun, applied_fills
from projector.trades import Bar
from projector.writes import Row
from schema.tables.projections import (
    bars,
    equity_points,
    executions,
    instruments,
    open_positions,
    order_oco_links,
    orders,
    run_metrics,
    run_series,
    strategy_instances,
    strategy_runs,
    trade_flags,
    trades,
)


async def _rows(conn: AsyncConnection, query: Select[Any]) -> list[Row]:
    result = await conn.execute(query)
    names = tuple(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result.all()]


async def run_row(conn: AsyncConnection, run_id: str) -> Row | None:
    found = await _rows(conn, select(strategy_runs).where(strategy_runs.c.run_id == run_id))
    return found[0] if found else None


async def run_rows(conn: AsyncConnection, run_id: str) -> RunRows:
    """Every stored row one run's trades and metrics are computed from."""
    run_orders = await _rows(
        conn, select(orders).where(orders.c.run_id == run_id).order_by(orders.c.order_id)
    )
    run_executions = await _rows(
        conn,
        select(executions).where(executions.c.run_id == run_id).order_by(executions.c.execution_id),
    )
    links = await _rows(
        conn,
        select(order_oco_links)
        .where(order_oco_links.c.run_id == run_id)
        .order_by(order_oco_links.c.oco_group_id, order_oco_links.c.order_id),
    )
    series = await _rows(
        conn,
        select(run_series).where(run_series.c.run_id == run_id).order_by(run_series.c.series_id),
    )
    chosen = finest_series(series).values()
    # Straight into Bar values (in its field order): a long run has a row per minute.
    bar_columns = [bars.c[name] for name in ("ts_utc", "open", "high", "low", "close", "end_utc")]
    series_bars = {}
    for series_id in chosen:
        query = select(*bar_columns).where(bars.c.series_id == series_id).order_by(bars.c.ts_utc)
        series_bars[series_id] = [Bar(*row) for row in (await conn.execute(query)).all()]
    symbols = sorted(traded_symbols(run_orders, run_executions))
    contracts = await _rows(
        conn,
        select(instruments)
        .where(
            instruments.c.symbol.in_(symbols),
            or_(instruments.c.scope == run_id, instruments.c.scope == WILDCARD_SCOPE),
        )
        .order_by(instruments.c.scope, instruments.c.symbol),
    )
    return RunRows(
        run_id=run_id,
        run=await run_row(conn, run_id),
        orders=run_orders,
        executions=run_executions,
        oco_links=links,
        series=series,
        bars=series_bars,
        instruments=contracts,
    )


async def strategy_of(conn: AsyncConnection, run: Row) -> str | None:
    """The strategy a run row names, else the one its instance's row names (None for an
    instance not registered yet)."""
    own: str | None = run["strategy_id"]
    if own is not None or run["instance_id"] is None:
        return own
    query = select(strategy_instances.c.strategy_id).where(
        strategy_instances.c.instance_id == run["instance_id"]
    )
    value: str | None = (await conn.execute(query)).scalar()
    return value


async def metrics_row(conn: AsyncConnection, run_id: str) -> Row | None:
    found = await _rows(conn, select(run_metrics).where(run_metrics.c.run_id == run_id))
    return found[0] if found else None


async def member_runs(conn: AsyncConnection, column: str, key: str) -> list[Row]:
    """The `run_metrics` rows whose `column` (instance_id or strategy_id) is `key`."""
    found = await _rows(conn, select(run_metrics).where(run_metrics.c[column] == key))
    # Python's order, not the database collation's: it is the order runs are summed in.
    return sorted(found, key=lambda row: str(row["run_id"]))


async def stored_run(conn: AsyncConnection, metrics: Row) -> StoredRun:
    """A run's analytics rows, and its applied fills and orders, as aggregation reads them."""
    run_id = metrics["run_id"]
    t = trades.c
    run_orders = await _rows(conn, select(orders).where(orders.c.run_id == run_id))
    run_executions = await _rows(conn, select(executions).where(executions.c.run_id == run_id))
    flagged: Sequence[str] = (
        (
            await conn.execute(
                select(trade_flags.c.execution_id).where(trade_flags.c.run_id == run_id)
            )
        )
        .scalars()
        .all()
    )
    return StoredRun(
        metrics=metrics,
        trades=await _rows(
            conn,
            select(trades)
            .where(t.run_id == run_id)
            .order_by(t.exit_utc, t.exit_position, t.exit_execution_id),
        ),
        open_positions=await _rows(
            conn,
            select(open_positions)
            .where(open_positions.c.run_id == run_id)
            .order_by(open_positions.c.account_id, open_positions.c.symbol),
        ),
        equity=await _rows(
            conn,
            select(equity_points)
            .where(equity_points.c.run_id == run_id)
            .order_by(equity_points.c.seq),
        ),
        fills=applied_fills(fills_of(run_executions, run_orders), flagged),
        orders=order_facts_of(run_orders),
    )
