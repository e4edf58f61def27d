"""Sweeps: find every partition behind the log and wake it, at start and periodically.

Rings are an optimisation; the sweep is the guarantee. Whatever happened to a ring (Redis
flushed or down, an ingest process killed between its commit and its ring, a job lost with a
crashed worker), the next sweep discovers the partitions whose checkpoint is behind the log
and wakes them. What "wake" means is the caller's: enqueue a job (arq) or mark dirty
(embedded).
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import structlog

from projector.doorbell_counters import DoorbellCounters
from projector.runner import Runner
from schema.doorbell import SWEEP_WAKEUPS, SWEEPS

Wake = Callable[[Sequence[str]], Awaitable[None]]

logger = structlog.get_logger("stratlog.projector")


async def sweep(runner: Runner, counters: DoorbellCounters, wake: Wake) -> list[str]:
    """One sweep: the partitions found behind (and not halted), already handed to `wake`."""
    behind = await runner.discover()
    await counters.add(SWEEPS)
    await counters.add(SWEEP_WAKEUPS, len(behind))
    if behind:
        await wake(behind)
    return behind


async def sweep_forever(
    interval_s: float, one_sweep: Callable[[], Awaitable[object]], stopping: asyncio.Event
) -> None:
    """Run `one_sweep` every `interval_s` until `stopping` is set (checked between sweeps, so
    a sweep is never cut off mid-transaction). A failed sweep is logged and the next one tries
    again: the loop itself must not die, it is what finds lost rings."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval_s)
        if stopping.is_set():
            return
        try:
            await one_sweep()
        except Exception:
            logger.exception("sweep failed; retrying at the next interval")
