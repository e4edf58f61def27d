"""Which projection generation the read API serves, and a reader engine for each.

A rebuild swaps a new generation in with one transaction on the control table in the log
store (schema/tables/generations.py). `LiveProjections` looks at that pointer every
`POINTER_TTL_S` from a task of the app's lifespan and keeps one reader engine per
generation, made when it becomes live. `StatusStores.projections` asks it at every use, so
requests and open streams alike move over within a second of the swap, while the previous
generation stays readable for the grace period the rebuild waits before dropping it (its
engine is disposed after that, and at shutdown). The lookup only reads, never creates a
file or a table: until the log store and the table exist, the first generation is served,
and a failed lookup keeps the generation known last.
"""

import asyncio
import contextlib
import time

import structlog
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from read_api.connections import reading
from read_api.errors import StoreUnavailable
from schema.generations import (
    FIRST_GENERATION,
    generation_location,
    live_generation,
    live_generation_query,
)
from schema.settings import StoreSettings
from schema.storage import make_engine
from schema.tables import projection_generations

logger = structlog.get_logger(__name__)

POINTER_TTL_S = 1.0
RETIRED_DISPOSE_S = 60.0  # past the rebuild's grace: nothing reads a dropped generation


class LiveProjections:
    """The live generation's reader engine, following the pointer."""

    def __init__(self, settings: StoreSettings, log: AsyncEngine) -> None:
        self.settings = settings
        self.log = log
        self.name = FIRST_GENERATION
        self._engines: dict[str, AsyncEngine] = {}
        self._retired: list[tuple[float, str]] = []
        self._pointer_exists = False
        self._stopping = asyncio.Event()
        self._following: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Follow the pointer in a task of the running loop, until `close()`."""
        self._following = asyncio.create_task(self.follow(), name="read-generation-pointer")

    def engine(self) -> AsyncEngine:
        """The reader engine of the live generation (made on first use: no I/O)."""
        engine = self._engines.get(self.name)
        if engine is None:
            location = generation_location(self.settings, self.name)
            engine = make_engine(
                location.url,
                role="reader",
                synchronous=self.settings.sqlite_synchronous,
                pg_schema=location.pg_schema,
            )
            self._engines[self.name] = engine
        return engine

    async def refresh(self) -> None:
        """Look at the pointer; a failure keeps the generation known last."""
        try:
            name = await self._live_name()
        except StoreUnavailable as exc:
            logger.debug("generation pointer unreadable", error=str(exc))
            return
        now = time.monotonic()
        if name != self.name:
            logger.info("serving another projection generation", generation=name)
            self._retired.append((now, self.name))
            self.name = name
        while self._retired and now - self._retired[0][0] > RETIRED_DISPOSE_S:
            retired = self._engines.pop(self._retired.pop(0)[1], None)
            if retired is not None:
                await retired.dispose()

    async def follow(self) -> None:
        """Refresh every `POINTER_TTL_S` until `close()` (never cut off mid-query: a
        cancelled SQLite call could keep its connection out of the pool)."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), POINTER_TTL_S)
            if self._stopping.is_set():
                return
            try:
                await self.refresh()
            except Exception:  # this loop is what moves readers over: it must not die
                logger.exception("looking at the generation pointer failed")

    async def close(self) -> None:
        """Stop following (waiting for `follow()` to end) and dispose of every engine."""
        self._stopping.set()
        if self._following is not None:
            await self._following
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()

    async def _live_name(self) -> str:
        async with reading(self.log, "log") as conn:
            if not self._pointer_exists:
                if not await conn.run_sync(has_generations_table):
                    return FIRST_GENERATION
                self._pointer_exists = True
            return live_generation((await conn.execute(live_generation_query())).scalars())


def has_generations_table(conn: Connection) -> bool:
    """Whether the control table exists (the first rebuild, or ingest, creates it)."""
    return inspect(conn).has_table(projection_generations.name)
