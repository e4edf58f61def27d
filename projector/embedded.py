"""The in-process projector of `stratlog serve`: the same runner, woken without Redis.

`ring(partitions)` marks partitions dirty and wakes one background task, which takes the
whole dirty set, catches each partition up once and goes back to waiting. A ring while a
catch-up runs is never lost: the set is taken before the partitions are caught up, so a
partition rung meanwhile is dirty again and the task loops (one catch-up per turn, so a busy
run never holds the others back). As in the arq worker, a sweep at start and every
`sweep_interval_s` wakes whatever is behind the log (events whose ring never came), and the
counters carry the same names (schema.doorbell), kept in memory.
`stop()` lets the catch-up under way finish and the loops stop between partitions and
between sweeps; only past a grace period is anything cancelled (see `background.py`).
"""

import asyncio
from collections.abc import Iterable, Sequence

import structlog

from projector.auto_rebuild import start_rebuild_if_outdated
from projector.background import stop_tasks
from projector.catch_up import log_catch_up
from projector.doorbell_counters import MemoryCounters
from projector.opening import ProjectorStores, open_projector
from projector.runner import Runner
from projector.sweeps import sweep, sweep_forever
from projector.versions import PROJECTION_VERSIONS, Versions
from schema.doorbell import COALESCED, JOBS, RUNG, partition_key
from schema.settings import StoreSettings

logger = structlog.get_logger("stratlog.projector")


class InProcessProjector:
    """Catches partitions up in a background task of the serving process."""

    def __init__(
        self, runner: Runner, *, sweep_interval_s: float = 2.0, stop_grace_s: float = 10.0
    ) -> None:
        self.runner = runner
        self.sweep_interval_s = sweep_interval_s
        self.stop_grace_s = stop_grace_s
        self._counters = MemoryCounters()
        self._dirty: set[str] = set()
        self._rung = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stores: ProjectorStores | None = None
        self._rebuilding: asyncio.Task[None] | None = None  # while the live one is outdated

    @classmethod
    async def open(
        cls,
        settings: StoreSettings,
        *,
        batch_size: int = 1000,
        sweep_interval_s: float = 2.0,
        stop_grace_s: float = 10.0,
        versions: Versions = PROJECTION_VERSIONS,
    ) -> "InProcessProjector":
        """A projector over the stores `settings` name; `stop()` closes them."""
        stores = await open_projector(settings, batch_size=batch_size, versions=versions)
        projector = cls(stores.runner, sweep_interval_s=sweep_interval_s, stop_grace_s=stop_grace_s)
        projector._stores = stores
        return projector

    def ring(self, partitions: Iterable[str]) -> None:
        """Wake the partitions (already-dirty ones coalesce); returns at once."""
        rung = set(partitions)
        self._counters.add_now(RUNG, len(rung))
        self._counters.add_now(COALESCED, len(rung & self._dirty))
        self._dirty |= rung
        if rung:
            self._rung.set()

    def ring_runs(self, run_ids: Iterable[str | None]) -> None:
        """`ring` for the run ids of appended events (None: strategy and instance events)."""
        self.ring(partition_key(run_id) for run_id in run_ids)

    def counters(self) -> dict[str, int]:
        return self._counters.snapshot()

    async def start(self) -> None:
        """Sweep once (what is behind gets rung), then catch up and sweep in the background."""
        if self._tasks:
            return
        if self._stores is not None:
            self._rebuilding = start_rebuild_if_outdated(self._stores)
        try:
            await self.sweep()
        except Exception:  # e.g. the log's tables do not exist yet: the periodic sweep retries
            logger.exception("startup sweep failed")
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self._catch_up_forever(), name="projector-catch-up"),
            asyncio.create_task(
                sweep_forever(self.sweep_interval_s, self.sweep, self._stopping),
                name="projector-sweep",
            ),
        ]

    async def sweep(self) -> list[str]:
        runner = await self._live_runner()
        if runner is None:
            return []  # the live generation is being replaced (projector/auto_rebuild.py)
        return await sweep(runner, self._counters, self._wake)

    async def _live_runner(self) -> Runner | None:
        """The runner on the live generation (a rebuild may have swapped another in)."""
        return self.runner if self._stores is None else await self._stores.live_runner()

    async def stop(self) -> None:
        """Let the current catch-up finish (up to `stop_grace_s`, then cancel it), stop the
        background tasks, close the stores if this opened them. Dirty partitions left are
        found by the sweep at the next start."""
        tasks, self._tasks = self._tasks, []
        self._stopping.set()
        self._rung.set()
        if self._rebuilding is not None:
            await stop_tasks([self._rebuilding], 0)  # resumable: the next start takes it over
            self._rebuilding = None
        await stop_tasks(tasks, self.stop_grace_s)
        if self._stores is not None:
            await self._stores.close()
            self._stores = None

    async def _wake(self, partitions: Sequence[str]) -> None:
        self._dirty.update(partitions)
        self._rung.set()

    async def _catch_up_forever(self) -> None:
        while True:
            await self._rung.wait()
            if self._stopping.is_set():
                return
            self._rung.clear()
            dirty, self._dirty = self._dirty, set()
            for partition in sorted(dirty):
                if self._stopping.is_set():
                    return
                try:
                    runner = await self._live_runner()
                    if runner is None:
                        continue  # being replaced: the sweep after the swap finds it
                    # One catch-up, not `catch_up_to_head`'s rounds: a ring meanwhile marks
                    # the partition dirty again and the dirty ones take turns, so a busy
                    # run cannot hold the others back for several rounds.
                    report = await runner.catch_up(partition)
                except Exception:  # the store failed: the next sweep rings it again
                    logger.exception("catch-up failed", partition=partition)
                    continue
                self._counters.add_now(JOBS)
                log_catch_up(report, via="embedded")
