"""A real log store + projection store + runner, on SQLite files or PostgreSQL schemas."""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ingest_api.log_store import open_event_log
from ingest_api.log_store.sql_store import SqlEventLog
from projector.log_feed import LogFeed
from projector.runner import Runner
from projector.store import ProjectionStore
from schema.storage import make_engine
from schema.tables.projections import PROJECTION_METADATA
from tests.conftest import fresh_pg_schema
from tests.integration.log_events import new_event


@dataclass
class ProjectionEnv:
    log: SqlEventLog
    store: ProjectionStore
    feed: LogFeed
    runner: Runner

    async def append(self, events: Sequence[Mapping[str, Any]]) -> None:
        await self.log.append([new_event(e) for e in events])

    async def rows(self, table: str, order_by: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Every row of a projection table, in primary-key order (or `order_by`)."""
        t = PROJECTION_METADATA.tables[table]
        columns = [t.c[c] for c in order_by] if order_by else list(t.primary_key.columns)
        async with self.store.reader.connect() as conn:
            result = await conn.execute(select(t).order_by(*columns))
            return [dict(row._mapping) for row in result.all()]

    async def catch_up_all(self) -> None:
        for partition in await self.runner.discover():
            await self.runner.catch_up(partition)


@asynccontextmanager
async def projection_env(
    backend: str, tmp_path: Path, *, batch_size: int = 1000
) -> AsyncIterator[ProjectionEnv]:
    async with AsyncExitStack() as stack:
        if backend == "sqlite":
            log_url = f"sqlite+aiosqlite:///{tmp_path / 'log.sqlite3'}"
            projection_url = f"sqlite+aiosqlite:///{tmp_path / 'projections.sqlite3'}"
            log_schema = projection_schema = None
        else:
            log_location = await stack.enter_async_context(fresh_pg_schema())
            projection_location = await stack.enter_async_context(fresh_pg_schema())
            log_url, log_schema = log_location.url, log_location.pg_schema
            projection_url, projection_schema = (
                projection_location.url,
                projection_location.pg_schema,
            )
        log = await open_event_log(log_url, pg_schema=log_schema)
        stack.push_async_callback(log.close)
        store = await ProjectionStore.open(projection_url, pg_schema=projection_schema)
        stack.push_async_callback(store.close)
        feed_engine = make_engine(log_url, role="reader", pg_schema=log_schema)
        stack.push_async_callback(feed_engine.dispose)
        feed = LogFeed(feed_engine)
        yield ProjectionEnv(log, store, feed, Runner(feed, store, batch_size=batch_size))
