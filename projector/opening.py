"""Open what a projector process works on: the log (read only), the live projection store, a runner.

Both the arq worker and the embedded projector start here, from the same settings, so they
connect alike: the log through a reader engine (the projector never writes it), the
projection store with its tables created if missing, each in its own PostgreSQL schema when
the URLs point at PostgreSQL. The projection store is the live generation's
(schema/generations.py). Before each catch-up, `live_runner()` looks at the pointer again (at
most once per `POINTER_TTL_S`) and, once a rebuild has swapped another generation in,
reopens on it; the previous store is closed later, when no job can still be using it. A live
generation built with other projection versions than this code's is never written
(projector/versions.py): `live_runner()` answers None until one built by this code is live.
"""

import asyncio
import time

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from projector.generation_stores import open_generation
from projector.generations import read_live_generation
from projector.log_feed import LogFeed
from projector.runner import Runner
from projector.store import ProjectionStore
from projector.versions import PROJECTION_VERSIONS, Compatibility, Versions, compare
from projector.versions import stored_versions as versions_of
from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine

logger = structlog.get_logger("stratlog.projector")

POINTER_TTL_S = 1.0
RETIRED_CLOSE_S = 120.0  # longer than a catch-up job on the previous store can last


class ProjectorStores:
    """The open log feed, the live generation's projection store and the runner over them."""

    def __init__(
        self, settings: StoreSettings, feed: LogFeed, *, versions: Versions, batch_size: int
    ) -> None:
        self.settings = settings
        self.feed = feed
        self.versions = versions
        self.batch_size = batch_size
        self.generation = ""
        self.compatibility = Compatibility.SAME
        self._current: tuple[ProjectionStore, Runner] | None = None
        self._retired: list[tuple[float, ProjectionStore]] = []
        self._checked_at = -POINTER_TTL_S
        self._following = asyncio.Lock()

    @property
    def store(self) -> ProjectionStore:
        assert self._current is not None, "follow() first"
        return self._current[0]

    @property
    def runner(self) -> Runner:
        assert self._current is not None, "follow() first"
        return self._current[1]

    async def live_runner(self) -> Runner | None:
        """The runner on the live generation; None while this code may not write it."""
        await self.follow()
        return self.runner if self.compatibility is Compatibility.SAME else None

    async def follow(self, *, now: bool = False) -> None:
        """Reopen on the live generation if the pointer moved (looked at once per TTL)."""
        async with self._following:
            checked = time.monotonic()
            if not now and checked - self._checked_at < POINTER_TTL_S:
                return
            name = await read_live_generation(self.feed.engine)
            self._checked_at = checked
            if name != self.generation:
                await self._open(name)
            while self._retired and checked - self._retired[0][0] > RETIRED_CLOSE_S:
                await self._retired.pop(0)[1].close()

    async def _open(self, name: str) -> None:
        store = await open_generation(self.settings, name)
        stored = await versions_of(store, self.versions)
        if self._current is not None:
            self._retired.append((time.monotonic(), self._current[0]))
            logger.info("projector follows a new generation", generation=name)
        self._current = (store, Runner(self.feed, store, batch_size=self.batch_size))
        self.generation = name
        self.compatibility = compare(stored, self.versions)
        if self.compatibility is not Compatibility.SAME:
            logger.warning(
                "the live generation was built by other projection versions: not writing it",
                generation=name,
                stored=stored,
                code=dict(self.versions),
                code_is=self.compatibility.value,
            )

    async def close(self) -> None:
        for _, store in self._retired:
            await store.close()
        self._retired.clear()
        if self._current is not None:
            await self._current[0].close()
            self._current = None
        await self.feed.engine.dispose()


def open_feed(settings: StoreSettings) -> LogFeed:
    """A read-only feed on the log store `settings` name (no I/O until used)."""
    return LogFeed(log_reader(settings))


def log_reader(settings: StoreSettings) -> AsyncEngine:
    url = settings.resolved_log_url()
    return make_engine(
        url,
        role="reader",
        synchronous=settings.sqlite_synchronous,
        pg_schema=None if is_sqlite(url) else settings.log_pg_schema,
    )


async def open_projector(
    settings: StoreSettings, *, batch_size: int = 1000, versions: Versions = PROJECTION_VERSIONS
) -> ProjectorStores:
    """The stores of a projector process, on the live generation."""
    if settings.projection_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    stores = ProjectorStores(
        settings, open_feed(settings), versions=versions, batch_size=batch_size
    )
    try:
        await stores.follow(now=True)
    except BaseException:
        await stores.close()
        raise
    return stores
