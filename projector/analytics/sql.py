"""The statements the analytics stage writes with, spelled for SQLite and PostgreSQL alike.

Replacing a run's rows is a delete and an insert; metrics rows are upserted. On PostgreSQL
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

from sqlalchemy import Table, delete, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.writes import Row

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
    await conn.execute(delete(table).where(table.c.run_id == run_id))
    if rows:
        await conn.execute(insert(table), list(rows))


async def upsert(conn: AsyncConnection, table: Table, rows: Sequence[Row]) -> None:
    """Insert `rows`, replacing stored rows with the same primary key."""
    if not rows:
        return
    statement = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)
    keys = [column.name for column in table.primary_key.columns]
    replace = {c.name: statement.excluded[c.name] for c in table.c if c.name not in keys}
    await conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=replace), rows)
