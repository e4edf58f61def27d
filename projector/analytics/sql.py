"""The statements the analytics stage writes with, spelled for SQLite and PostgreSQL alike.

Replacing a run's rows is a delete and an insert; metrics rows are upserted; a pass that
carried a run's analysis on adds its new trades and rewrites the end of its equity curve
(`write_pass`). All of it goes through projector/table_io.py. On PostgreSQL
two partitions commit concurrently, so the stage serializes with transaction-level advisory
locks (released at commit or rollback), keyed within the store's schema so that two stores
in one database never wait on each other:
- every run analysis holds the *analytics* lock shared; the catalog's stage holds it
  exclusive, so a run is never analyzed while instrument or instance changes are being
  fanned out to the runs they affect, and each side sees the other's committed rows;
- each instance or strategy aggregate has its own lock, taken (in one global order, so two
  transactions cannot deadlock) before its member runs are read.
On SQLite the writer already holds the database's single write lock; these are no-ops.
"""

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import Table, bindparam, delete, text
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.analytics.run_analysis import Pass
from projector.table_io import Placeholders, Statement, execute, table_sql, write_rows
from projector.writes import Row
from schema.tables.projections import (
    equity_points,
    open_positions,
    run_metrics,
    trade_flags,
    trade_lot_matches,
    trades,
)

_ANALYTICS_LOCK = "stratlog:analytics"
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)")
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(hashtext(current_schema()), :key)")


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for `name` (a collision only makes two names wait)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True
    )


def _is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def share_analytics(conn: AsyncConnection) -> None:
    """Held by every run analysis until its transaction ends."""
    if _is_postgres(conn):
        await conn.execute(_LOCK_SHARED, {"key": lock_key(_ANALYTICS_LOCK)})


async def own_analytics(conn: AsyncConnection) -> None:
    """Held by the catalog's stage: no run analysis runs meanwhile."""
    if _is_postgres(conn):
        await conn.execute(_LOCK, {"key": lock_key(_ANALYTICS_LOCK)})


async def lock_aggregates(conn: AsyncConnection, names: Iterable[str]) -> None:
    """Lock each named aggregate, in ascending key order (the one order every caller uses)."""
    if _is_postgres(conn):
        for key in sorted({lock_key(name) for name in names}):
            await conn.execute(_LOCK, {"key": key})


async def replace_rows(
    conn: AsyncConnection, table: Table, run_id: str, rows: Sequence[Row]
) -> None:
    """Make `rows` the run's only rows in `table`."""
    sql = table_sql(conn, table.name)
    marks = Placeholders(sql.dialect)
    await execute(
        conn, f"DELETE FROM {sql.name} WHERE {sql.equal('run_id', run_id, marks)}", marks.values
    )
    await insert_rows(conn, table, rows)


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[Row]) -> None:
    """Insert `rows` (none of which is stored yet)."""
    sql = table_sql(conn, table.name)
    await write_rows(conn, sql.insert, sql, rows)


async def upsert(conn: AsyncConnection, table: Table, rows: Sequence[Row]) -> None:
    """Insert `rows`, replacing stored rows with the same primary key."""
    sql = table_sql(conn, table.name)
    await write_rows(conn, sql.upsert, sql, rows)


async def write_pass(conn: AsyncConnection, run_id: str, done: Pass) -> None:
    """The rows of a pass: all of them, or what it added and rewrote (`Pass`)."""
    analysis = done.analysis
    if done.from_scratch:
        await replace_rows(conn, trades, run_id, done.trades)
        await replace_rows(conn, trade_lot_matches, run_id, done.matches)
        await replace_rows(conn, equity_points, run_id, done.equity)
    else:
        await insert_rows(conn, trades, done.trades)
        await insert_rows(conn, trade_lot_matches, done.matches)
        if done.equity_dropped:
            await _DROP_POINTS.execute(conn, run_id=run_id, first=done.equity_from)
        await insert_rows(conn, equity_points, done.equity)
    if done.open_positions_changed:
        await replace_rows(conn, open_positions, run_id, analysis.open_positions)
    if done.flags_changed:
        await replace_rows(conn, trade_flags, run_id, analysis.flags)
    await upsert(conn, run_metrics, [analysis.metrics])


_DROP_POINTS = Statement(
    delete(equity_points).where(
        equity_points.c.run_id == bindparam("run_id"), equity_points.c.seq >= bindparam("first")
    )
)
