"""Progress of a generation being built: its lease renewed, its figures recorded and shown.

While a rebuild (or a verify) builds a generation, a `Meter` ticks about once a second: it
counts the events applied so far (the sum of the generation's checkpoints, so a resumed build
counts what earlier runs applied), measures this process's rate and the time left, renews
the builder's lease with these figures in the control table (where `/api/status` reads
them), and hands them to the command's progress bar. The log's size is counted every ten
seconds only: counting a large log is not free.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import func, select

from projector.generations import Generations, LeaseLost, Progress
from projector.log_feed import LogFeed
from projector.store import ProjectionStore
from schema.tables import ingest_events
from schema.tables.projections import checkpoints

logger = structlog.get_logger("stratlog.projector")

PROGRESS_INTERVAL_S = 1.0
_TOTAL_REFRESH_S = 10.0


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """What a progress hook is told, about once a second."""

    generation: str
    progress: Progress
    eta_seconds: float | None


ProgressHook = Callable[[RebuildProgress], None]


async def applied_events(store: ProjectionStore) -> int:
    query = select(func.coalesce(func.sum(checkpoints.c.applied_events), 0))
    async with store.reader.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def log_size(feed: LogFeed) -> tuple[int, int]:
    """(events in the log, head position)."""
    query = select(func.count(), func.max(ingest_events.c.position))
    async with feed.engine.connect() as conn:
        count, head = (await conn.execute(query)).one()
    return int(count), int(head or 0)


class Meter:
    """Renews the lease and records progress (in the control table, and to the hook)."""

    def __init__(
        self,
        control: Generations,
        feed: LogFeed,
        store: ProjectionStore,
        name: str,
        owner: str,
        hook: ProgressHook | None,
    ) -> None:
        self.control, self.feed, self.store = control, feed, store
        self.name, self.owner, self.hook = name, owner, hook
        self.started = time.perf_counter()
        self.first_applied = 0
        self._size = (0, 0)
        self._sized_at = -_TOTAL_REFRESH_S
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Meter":
        """Start ticking (a first tick at once)."""
        self.first_applied = await applied_events(self.store)
        await self.tick()
        self._task = asyncio.create_task(self._forever())
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop ticking, after a last tick (also when the build failed or was cancelled:
        the progress it made is recorded)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.tick()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    async def tick(self) -> None:
        now = time.perf_counter()
        if now - self._sized_at >= _TOTAL_REFRESH_S:
            self._size, self._sized_at = await log_size(self.feed), now
        applied = await applied_events(self.store)
        elapsed = now - self.started
        rate = (applied - self.first_applied) / elapsed if elapsed > 0 else None
        total, head = self._size
        total = max(total, applied)
        progress = Progress(applied, total, head, rate)
        if not await self.control.beat(self.name, self.owner, progress):
            raise LeaseLost(self.name)
        if self.hook is not None:
            eta = (total - applied) / rate if rate else None
            self.hook(RebuildProgress(self.name, progress, eta))

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL_S)
            try:
                await self.tick()
            except LeaseLost:
                logger.warning("lost the lease of the generation being built", generation=self.name)
                return  # the swap checks the lease too: this build cannot be swapped in
            except Exception:  # a store briefly away: the next tick retries
                logger.exception("could not record rebuild progress", generation=self.name)
