"""The reads behind the analytics routes, on the projection store's tables (schema.tables).

Lists use keyset pagination on an index: trades by (run, exit time, trade id), matches by
(trade, match number), equity points by (run, seq). Driver errors (the store down, its
tables not created yet) become `StoreUnavailable` in `read_api.connections.reading`.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from schema.tables.projections import (
    equity_points,
    open_positions,
    run_metrics,
    strategy_runs,
    trade_lot_matches,
    trades,
)

Row = dict[str, Any]

_IN_CHUNK = 400


async def _rows(conn: AsyncConnection, query: Select[Any]) -> list[Row]:
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def exists(conn: AsyncConnection, table: Table, column: str, key: str) -> bool:
    query = select(table.c[column]).where(table.c[column] == key).limit(1)
    return (await conn.execute(query)).first() is not None


async def unknown_runs(conn: AsyncConnection, run_ids: Sequence[str]) -> list[str]:
    """The ids among `run_ids` with no strategy_runs row, in the order given."""
    known: set[str] = set()
    wanted = sorted(set(run_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        query = select(strategy_runs.c.run_id).where(strategy_runs.c.run_id.in_(chunk))
        known.update((await conn.execute(query)).scalars().all())
    return [run_id for run_id in dict.fromkeys(run_ids) if run_id not in known]


async def trades_after(
    conn: AsyncConnection,
    run_id: str,
    after: tuple[datetime, str] | None,
    limit: int,
    filters: dict[str, str],
) -> list[Row]:
    """Up to `limit` trades of a run after the (exit time, trade id) `after`."""
    t = trades.c
    query = select(trades).where(t.run_id == run_id, *(t[k] == v for k, v in filters.items()))
    if after is not None:
        query = query.where(tuple_(t.exit_utc, t.trade_id) > after)  # an index range
    return await _rows(conn, query.order_by(t.exit_utc, t.trade_id).limit(limit))


async def trade_known(conn: AsyncConnection, run_id: str, trade_id: str) -> bool:
    query = select(trades.c.trade_id).where(
        trades.c.run_id == run_id, trades.c.trade_id == trade_id
    )
    return (await conn.execute(query)).first() is not None


async def matches_after(
    conn: AsyncConnection, trade_id: str, after: int | None, limit: int
) -> list[Row]:
    m = trade_lot_matches.c
    query = select(trade_lot_matches).where(m.trade_id == trade_id)
    if after is not None:
        query = query.where(m.match_number > after)
    return await _rows(conn, query.order_by(m.match_number).limit(limit))


async def open_positions_of(conn: AsyncConnection, run_id: str) -> list[Row]:
    p = open_positions.c
    query = select(open_positions).where(p.run_id == run_id)
    return await _rows(conn, query.order_by(p.account_id, p.symbol, p.trade_id))


async def equity_after(
    conn: AsyncConnection, run_id: str, after: int | None, limit: int
) -> list[Row]:
    e = equity_points.c
    query = select(equity_points).where(e.run_id == run_id)
    if after is not None:
        query = query.where(e.seq > after)
    return await _rows(conn, query.order_by(e.seq).limit(limit))


async def metrics_of_runs(conn: AsyncConnection, run_ids: Sequence[str]) -> dict[str, Row]:
    """run_id -> its run_metrics row, for those that have one."""
    found: dict[str, Row] = {}
    wanted = sorted(set(run_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        for row in await _rows(conn, select(run_metrics).where(run_metrics.c.run_id.in_(chunk))):
            found[row["run_id"]] = row
    return found


async def row_of(conn: AsyncConnection, table: Table, column: str, key: str) -> Row | None:
    found = await _rows(conn, select(table).where(table.c[column] == key))
    return found[0] if found else None
