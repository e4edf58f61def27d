"""Open the event log named by a URL: build engines, create tables, pick the write lock."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ingest_api.log_store.errors import StoreUnavailable
from ingest_api.log_store.locks import PostgresAdvisoryLock, SqliteWriteLock, WriteLock
from ingest_api.log_store.sql_store import SqlEventLog
from schema.settings import SqliteSynchronous
from schema.storage import is_sqlite, make_engine
from schema.tables import LOG_METADATA


def utc_now() -> datetime:
    return datetime.now(UTC)


async def open_event_log(
    url: str,
    *,
    synchronous: SqliteSynchronous = "FULL",
    pg_schema: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    max_pending_events: int = 200_000,
    max_batch_events: int = 10_000,
) -> SqlEventLog:
    """The event log at `url` (SQLite file or PostgreSQL), tables created if missing."""
    writer = make_engine(url, role="writer", synchronous=synchronous, pg_schema=pg_schema)
    lock: WriteLock
    if is_sqlite(url):
        reader = make_engine(url, role="reader", synchronous=synchronous)
        lock = SqliteWriteLock()
    else:
        reader = writer
        lock = PostgresAdvisoryLock(pg_schema or "public")
    try:
        async with writer.begin() as conn:
            if pg_schema and not is_sqlite(url):
                await lock.acquire(conn)  # two replicas starting together create tables once
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{pg_schema}"'))
            await conn.run_sync(LOG_METADATA.create_all)
    except (DBAPIError, OSError) as exc:
        await writer.dispose()
        await reader.dispose()
        raise StoreUnavailable(f"cannot open the event log at {url}: {exc}") from exc
    return SqlEventLog(
        writer,
        reader,
        lock,
        clock,
        max_pending_events=max_pending_events,
        max_batch_events=max_batch_events,
    )
