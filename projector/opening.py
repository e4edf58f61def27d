"""Open what a projector process works on: the log (read only), the projection store, a runner.

Both the arq worker and the embedded projector start here, from the same settings, so they
connect alike: the log through a reader engine (the projector never writes it), the
projection store with its tables created if missing, each in its own PostgreSQL schema when
the URLs point at PostgreSQL.
"""

from dataclasses import dataclass

from projector.log_feed import LogFeed
from projector.runner import Runner
from projector.store import ProjectionStore
from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine


@dataclass(frozen=True, slots=True)
class ProjectorStores:
    """The open log feed and projection store, and the runner over them."""

    feed: LogFeed
    store: ProjectionStore
    runner: Runner

    async def close(self) -> None:
        await self.store.close()
        await self.feed.engine.dispose()


async def open_projector(settings: StoreSettings, *, batch_size: int = 1000) -> ProjectorStores:
    log_url = settings.resolved_log_url()
    projection_url = settings.resolved_projection_url()
    if settings.projection_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    feed = LogFeed(
        make_engine(
            log_url,
            role="reader",
            synchronous=settings.sqlite_synchronous,
            pg_schema=None if is_sqlite(log_url) else settings.log_pg_schema,
        )
    )
    try:
        store = await ProjectionStore.open(
            projection_url,
            synchronous=settings.sqlite_synchronous,
            pg_schema=None if is_sqlite(projection_url) else settings.projection_pg_schema,
        )
    except BaseException:
        await feed.engine.dispose()
        raise
    return ProjectorStores(feed, store, Runner(feed, store, batch_size=batch_size))
