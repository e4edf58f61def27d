"""Reading what the analytics stage needs, on the stage's own connection (inside its write
transaction, so it sees the state it is about to replace and nothing half-written).

`run_rows` gathers one run's inputs: its run row, orders, executions, OCO links, series, the
bars of the finest series per symbol (as `Bar` values), and the instruments of the symbols
it trades; `run_delta` those of them changed after a position.
`stored_run` reads back a run's analytics rows for aggregation, `member_runs` the
`run_metrics` rows of an instance's or a strategy's runs. Through projector/table_io.py: a
long run's rows are many, and SQLAlchemy's per-row processing cost more than the reads.
"""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from projector.analytics.carry_on import RunDelta
from projector.analytics.inputs import (
    WILDCARD_SCOPE,
    RunRows,
    fills_of,
    finest_series,
    order_facts_of,
    traded_symbols,
)
from projector.analytics.stored import StoredRun, applied_fills
from projector.table_io import Placeholders, fetch, fetch_rows, rows_where, table_sql
from projector.trades import Bar
from projector.writes import Row

# A long run has a bar per minute: its bars go straight into `Bar` values, in field order.
_BAR_COLUMNS = ("ts_utc", "open", "high", "low", "close", "end_utc")


async def run_row(conn: AsyncConnection, run_id: str) -> Row | None:
    found = await rows_where(conn, "strategy_runs", "run_id", run_id)
    return found[0] if found else None


async def series_bars(conn: AsyncConnection, series_id: str) -> list[Bar]:
    """One series' bars in time order."""
    table = table_sql(conn, "bars")
    marks = Placeholders(table.dialect)
    columns = ", ".join(table.quote(name) for name in _BAR_COLUMNS)
    query = table.select(table.equal("series_id", series_id, marks), ["ts_utc"], columns)
    time = table.converter("ts_utc")
    if time is None:
        return [Bar(*record) for record in await fetch(conn, query, marks.values)]
    return [
        Bar(time(ts), o, h, low, c, None if end is None else time(end))
        for ts, o, h, low, c, end in await fetch(conn, query, marks.values)
    ]


async def run_rows(conn: AsyncConnection, run_id: str) -> RunRows:
    """Every stored row one run's trades and metrics are computed from."""
    run_orders = await rows_where(conn, "orders", "run_id", run_id, ["order_id"])
    run_executions = await rows_where(conn, "executions", "run_id", run_id, ["execution_id"])
    links = await rows_where(
        conn, "order_oco_links", "run_id", run_id, ["oco_group_id", "order_id"]
    )
    series = await rows_where(conn, "run_series", "run_id", run_id, ["series_id"])
    chosen = finest_series(series).values()
    bars = {series_id: await series_bars(conn, series_id) for series_id in chosen}
    return RunRows(
        run_id=run_id,
        run=await run_row(conn, run_id),
        orders=run_orders,
        executions=run_executions,
        oco_links=links,
        series=series,
        bars=bars,
        instruments=await _instruments(conn, run_id, traded_symbols(run_orders, run_executions)),
    )


async def run_delta(
    conn: AsyncConnection, run: Row, since: int, series: Iterable[str], symbols: Iterable[str]
) -> RunDelta:
    """The rows of the run of `run` (its row) changed after position `since` (the bars of
    `series` only), and the instruments of `symbols` and of those its changed rows trade."""
    run_id = run["run_id"]

    async def changed(name: str) -> list[Row]:
        table = table_sql(conn, name)
        marks = Placeholders(table.dialect)
        where = f"{table.equal('run_id', run_id, marks)} AND {table.quote('last_position')} > "
        return await fetch_rows(conn, table, table.select(where + marks.add(since)), marks.values)

    orders, executions = await changed("orders"), await changed("executions")
    return RunDelta(
        run=run,
        orders=orders,
        executions=executions,
        oco_links=await changed("order_oco_links"),
        series=await changed("run_series"),
        bars=await _bars_since(conn, sorted(series), since),
        instruments=await _instruments(
            conn, run_id, {*symbols, *traded_symbols(orders, executions)}
        ),
    )


async def _bars_since(conn: AsyncConnection, series: list[str], since: int) -> dict[str, list[Bar]]:
    """series id -> its bars changed after position `since`, in time order (one query)."""
    if not series:
        return {}
    table = table_sql(conn, "bars")
    marks = Placeholders(table.dialect)
    listed = ", ".join(marks.add(series_id) for series_id in series)
    where = f"{table.quote('series_id')} IN ({listed})"
    where += f" AND {table.quote('last_position')} > {marks.add(since)}"
    columns = ", ".join(table.quote(name) for name in ("series_id", *_BAR_COLUMNS))
    found: dict[str, list[Bar]] = {}
    query = table.select(where, ["series_id", "ts_utc"], columns)
    time = table.converter("ts_utc") or (lambda value: value)
    for series_id, ts, o, h, low, c, end in await fetch(conn, query, marks.values):
        bar = Bar(time(ts), o, h, low, c, None if end is None else time(end))
        found.setdefault(series_id, []).append(bar)
    return found


async def _instruments(conn: AsyncConnection, run_id: str, symbols: set[str]) -> list[Row]:
    """The instrument rows of `symbols` scoped to the run or to every run ("*")."""
    if not symbols:
        return []
    table = table_sql(conn, "instruments")
    marks = Placeholders(table.dialect)
    listed = ", ".join(marks.add(symbol) for symbol in sorted(symbols))
    scope, symbol = table.quote("scope"), table.quote("symbol")
    where = (
        f"{symbol} IN ({listed}) AND ({scope} = {marks.add(run_id)}"
        f" OR {scope} = {marks.add(WILDCARD_SCOPE)})"
    )
    return await fetch_rows(conn, table, table.select(where, ["scope", "symbol"]), marks.values)


async def strategy_of(conn: AsyncConnection, run: Row) -> str | None:
    """The strategy a run row names, else the one its instance's row names (None for an
    instance not registered yet)."""
    own: str | None = run["strategy_id"]
    if own is not None or run["instance_id"] is None:
        return own
    found = await rows_where(conn, "strategy_instances", "instance_id", run["instance_id"])
    return found[0]["strategy_id"] if found else None


async def metrics_row(conn: AsyncConnection, run_id: str) -> Row | None:
    found = await rows_where(conn, "run_metrics", "run_id", run_id)
    return found[0] if found else None


async def member_runs(conn: AsyncConnection, column: str, key: str) -> list[Row]:
    """The `run_metrics` rows whose `column` (instance_id or strategy_id) is `key`."""
    found = await rows_where(conn, "run_metrics", column, key)
    # Python's order, not the database collation's: it is the order runs are summed in.
    return sorted(found, key=lambda row: str(row["run_id"]))


async def stored_run(conn: AsyncConnection, metrics: Row) -> StoredRun:
    """A run's analytics rows, and its applied fills and orders, as aggregation reads them."""
    run_id = metrics["run_id"]
    run_orders = await rows_where(conn, "orders", "run_id", run_id)
    run_executions = await rows_where(conn, "executions", "run_id", run_id)
    flags = await rows_where(conn, "trade_flags", "run_id", run_id)
    flagged = [flag["execution_id"] for flag in flags]
    return StoredRun(
        metrics=metrics,
        trades=await rows_where(
            conn, "trades", "run_id", run_id, ["exit_utc", "exit_position", "exit_execution_id"]
        ),
        open_positions=await rows_where(
            conn, "open_positions", "run_id", run_id, ["account_id", "symbol"]
        ),
        equity=await rows_where(conn, "equity_points", "run_id", run_id, ["seq"]),
        fills=applied_fills(fills_of(run_executions, run_orders), flagged),
        orders=order_facts_of(run_orders),
    )
