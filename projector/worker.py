"""The projector worker: `arq projector.worker.WorkerSettings` (the Procfile's projector).

A job is `catch_up_partition(partition)`: it carries nothing but the partition key, and its id
is derived from it, so rings for a partition coalesce while its job is queued or running
(DESIGN §5). The job catches the partition up to the log's head; once arq has released the
job's id, `after_job_end` looks at the log again and re-rings if events arrived in the
meantime, because a ring sent while the job ran was refused as a duplicate. A sweep at start
and every `sweep_interval_seconds` wakes every partition behind the log whatever happened to
its rings, and frees the jobs a dead worker held (see `claims.py`). Every job is safe to run
twice, on any number of workers: the checkpoint's compare-and-set lets one of two racing
transactions commit and rolls the other back.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from arq.connections import ArqRedis, RedisSettings
from arq.worker import func

from projector.auto_rebuild import start_rebuild_if_outdated
from projector.background import stop_tasks
from projector.catch_up import catch_up_to_head, is_behind, log_catch_up
from projector.claims import Claims
from projector.doorbell_counters import RedisCounters
from projector.logs import configure_logging
from projector.opening import ProjectorStores, open_projector
from projector.runner import CatchUpReport
from projector.settings import ProjectorSettings
from projector.sweeps import sweep, sweep_forever
from schema.doorbell import CATCH_UP_JOB, JOBS, catch_up_job_id

logger = structlog.get_logger("stratlog.projector")

Ctx = dict[str, Any]
SHUTDOWN_WAIT_S = 5  # on SIGTERM, how long running jobs and a sweep under way may finish


@dataclass
class WorkerState:
    """What one worker process holds between jobs (kept in arq's ctx)."""

    stores: ProjectorStores
    redis: ArqRedis
    settings: ProjectorSettings
    counters: RedisCounters
    claims: Claims
    # partition -> its checkpoint when the last sweep found its job held by no live worker
    orphaned_at: dict[str, int] = field(default_factory=dict)
    heartbeat: "asyncio.Task[None] | None" = None
    sweeping: "asyncio.Task[None] | None" = None
    rebuilding: "asyncio.Task[None] | None" = None  # while the live generation is outdated
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def ring(self, partition: str) -> bool:
        """Enqueue the partition's job; False when it is already queued or running."""
        job = await self.redis.enqueue_job(
            CATCH_UP_JOB,
            partition,
            _job_id=catch_up_job_id(partition),
            _queue_name=self.settings.queue_name,
        )
        return job is not None

    async def wake(self, partitions: Sequence[str]) -> None:
        positions = {c.partition: c.position for c in await self.stores.store.all_checkpoints()}
        orphaned_before, self.orphaned_at = self.orphaned_at, {}
        for partition in partitions:
            if await self.ring(partition) or not await self.claims.orphaned(partition):
                continue  # a fresh job, one queued, or one a live worker runs
            position = positions.get(partition, 0)
            if orphaned_before.get(partition) != position:
                self.orphaned_at[partition] = position  # it may only be starting: wait a sweep
                continue
            await self.claims.release(partition)
            logger.warning("freed the job of a dead worker", partition=partition, at=position)

    async def sweep(self) -> list[str]:
        runner = await self.stores.live_runner()
        if runner is None:
            return []  # the live generation is being replaced (projector/auto_rebuild.py)
        return await sweep(runner, self.counters, self.wake)


def _state(ctx: Ctx) -> WorkerState:
    state: WorkerState = ctx["projector"]
    return state


async def catch_up_partition(ctx: Ctx, partition: str) -> None:
    """The job: catch one partition up with the log."""
    state = _state(ctx)
    runner = await state.stores.live_runner()  # a rebuild may have swapped generations
    if runner is None:
        return  # the live generation is being replaced: the sweep after the swap wakes it
    await state.claims.own(partition, state.settings.job_timeout_seconds)
    try:
        report = await catch_up_to_head(runner, partition)
    finally:
        await state.claims.disown(partition)
    ctx["report"] = report
    await state.counters.add(JOBS)
    log_catch_up(report, via="job")


async def after_job_end(ctx: Ctx) -> None:
    """Re-check the log now that the job's id is free: a ring refused while it ran is owed."""
    report: CatchUpReport | None = ctx.get("report")
    if report is None or report.halted:
        return  # failed or cancelled: the sweep retries it, at the sweep's pace
    state = _state(ctx)
    try:
        if await is_behind(state.stores.feed, state.stores.store, report.partition):
            await state.ring(report.partition)
    except asyncio.CancelledError:
        # The worker is shutting down; the job itself is over, and ending its task normally
        # lets arq's close() finish (and run on_shutdown). The next sweep does the re-check.
        return
    except Exception:  # an exception here would stop arq's poll loop; the sweep is the backstop
        logger.exception("re-check after a job failed", partition=report.partition)


async def startup(ctx: Ctx) -> None:
    settings: ProjectorSettings = ctx["settings"]
    if ctx["configure_logging"]:
        configure_logging(settings.log_level)
    stores = await open_projector(settings, batch_size=settings.batch_size)
    redis: ArqRedis = ctx["redis"]
    claims = Claims(redis, settings.queue_name, settings.liveness_ttl_seconds)
    await claims.beat()
    state = WorkerState(stores, redis, settings, RedisCounters(redis), claims)
    ctx["projector"] = state
    state.rebuilding = start_rebuild_if_outdated(stores)
    behind: list[str] = []
    try:
        behind = await state.sweep()
    except Exception:  # e.g. the log's tables do not exist yet: the periodic sweep retries
        logger.exception("startup sweep failed")
    state.heartbeat = asyncio.create_task(claims.beat_forever())
    state.sweeping = asyncio.create_task(
        sweep_forever(settings.sweep_interval_seconds, state.sweep, state.stopping)
    )
    logger.info(
        "projector worker ready",
        worker=claims.worker_id,
        queue=settings.queue_name,
        behind=len(behind),
        sweep_interval_s=settings.sweep_interval_seconds,
    )


async def shutdown(ctx: Ctx) -> None:
    state: WorkerState | None = ctx.get("projector")
    if state is None:
        return
    state.stopping.set()
    if state.rebuilding is not None:
        await stop_tasks([state.rebuilding], 0)  # resumable: the next start takes it over
    if state.sweeping is not None:
        await stop_tasks([state.sweeping], SHUTDOWN_WAIT_S)
    if state.heartbeat is not None:
        state.heartbeat.cancel()  # it only sleeps and sets one Redis key
        await asyncio.gather(state.heartbeat, return_exceptions=True)
    await state.stores.close()


def worker_options(settings: ProjectorSettings, *, configure_logs: bool = True) -> dict[str, Any]:
    """Keyword arguments of `arq.worker.Worker` for a projector worker (tests build one with
    `burst=True` from these)."""
    timeout = settings.job_timeout_seconds
    return {
        "functions": [func(catch_up_partition, name=CATCH_UP_JOB, keep_result=0, timeout=timeout)],
        "queue_name": settings.queue_name,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "after_job_end": after_job_end,
        "keep_result": 0,  # nobody reads results; a kept result would also block its job id
        "job_timeout": timeout,
        "poll_delay": settings.poll_delay_seconds,
        "max_jobs": settings.max_jobs,
        # Let running jobs end on SIGTERM (a cancelled one loses its uncommitted batch, and a
        # cancel landing while arq records a job's end makes its shutdown raise).
        "job_completion_wait": SHUTDOWN_WAIT_S,
        "health_check_interval": settings.health_check_interval_seconds,
        "ctx": {"settings": settings, "configure_logging": configure_logs},
    }


# arq takes a dict of Worker arguments as readily as a class; read from STRATLOG_* on import.
WorkerSettings = worker_options(ProjectorSettings())
