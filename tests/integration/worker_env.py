"""A real log + projection store + Redis database for projector worker tests.

Each test gets a Redis database number no other test holds (claimed with a key in the last
database, flushed before and after), a unique arq queue name, and SQLite files in tmp_path or
fresh PostgreSQL schemas. Ingest's side is the real log store plus the real `ArqDoorbell`;
the projector's side is whatever the test starts (an arq worker in burst mode, a running
worker, worker processes). Helpers answer "is everything projected?" and "are the tables
what one clean pass over the same log gives?".
"""

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from arq.worker import Worker
from redis.asyncio import Redis
from sqlalchemy import func, select

from ingest_api.doorbell import ArqDoorbell, accepted_run_ids, connect_doorbell
from ingest_api.log_store import NewEvent, open_event_log
from ingest_api.log_store.sql_store import SqlEventLog
from projector.doorbell_counters import RedisCounters
from projector.opening import open_projector
from projector.settings import ProjectorSettings
from projector.store import ProjectionStore
from projector.worker import worker_options
from schema.doorbell import partition_key
from schema.tables import ingest_events
from schema.tables.projections import PROJECTION_METADATA
from tests.conftest import fresh_pg_schema
from tests.integration.log_events import new_event

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
_CLAIMS_DB = 15  # holds the claims; databases 1..14 are handed out to tests
_CLAIM_TTL_S = 600

# arq 0.28's Worker.close() calls redis-py's deprecated close(); nothing of ours to fix.
ARQ_CLOSE_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:Call to deprecated close:DeprecationWarning"
)


@asynccontextmanager
async def dedicated_redis_db() -> AsyncIterator[str]:
    """The URL of a Redis database only this test uses, empty on entry and on exit."""
    claims: Redis = Redis(host=REDIS_HOST, port=REDIS_PORT, db=_CLAIMS_DB)
    token = uuid.uuid4().hex
    try:
        for db in range(1, _CLAIMS_DB):
            if await claims.set(f"stratlog:test-db:{db}", token, nx=True, ex=_CLAIM_TTL_S):
                break
        else:
            raise RuntimeError("every test Redis database is claimed")
        data: Redis = Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        try:
            await data.flushdb()
            yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
        finally:
            await data.flushdb()
            await data.aclose()
            if await claims.get(f"stratlog:test-db:{db}") == token.encode():
                await claims.delete(f"stratlog:test-db:{db}")
    finally:
        await claims.aclose()


@dataclass
class StoresEnv:
    """Ingest's log and a view of the projection store, for one test."""

    settings: ProjectorSettings
    log: SqlEventLog
    store: ProjectionStore

    async def append(self, events: Sequence[Mapping[str, Any] | NewEvent]) -> list[str | None]:
        """Append like ingest does, without ringing; the run ids of the accepted events."""
        new = [e if isinstance(e, NewEvent) else new_event(e) for e in events]
        return accepted_run_ids(new, await self.log.append(new))

    async def log_heads(self) -> dict[str, int]:
        """Each partition's last position in the log."""
        c = ingest_events.c
        query = select(c.run_id, func.max(c.position)).group_by(c.run_id)
        async with self.log._reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {partition_key(run_id): int(head) for run_id, head in rows}

    async def lagging(self) -> dict[str, tuple[int, int, int]]:
        """Partitions not yet projected up to the log, analytics included:
        {partition: (checkpoint, log head, analytics position)}."""
        checkpoints = {c.partition: c for c in await self.store.all_checkpoints()}
        lagging = {}
        for partition, head in (await self.log_heads()).items():
            checkpoint = checkpoints.get(partition)
            position = checkpoint.position if checkpoint else 0
            analytics = checkpoint.analytics_position if checkpoint else 0
            if position != head or analytics < position:
                lagging[partition] = (position, head, analytics)
        return lagging

    async def wait_until_projected(self, timeout_s: float) -> float:
        """Seconds until every partition's checkpoint reaches its log head (fails at timeout)."""
        started = time.monotonic()
        while True:
            lagging = await self.lagging()
            if not lagging:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"not projected within {timeout_s}s: {lagging}")
            await asyncio.sleep(0.02)

    async def rows(self, table: str) -> list[dict[str, Any]]:
        return await table_rows(self.store, table)


@dataclass
class WorkerEnv(StoresEnv):
    """Plus the doorbell ingest rings and the test's own Redis database."""

    doorbell: ArqDoorbell
    redis: Redis  # to read the counters and to flush

    async def append_and_ring(self, events: Sequence[Mapping[str, Any] | NewEvent]) -> None:
        await self.doorbell.ring(await self.append(events))

    async def counters(self) -> dict[str, int]:
        return await RedisCounters(self.redis).read()

    async def wait_until_projected(self, timeout_s: float) -> float:
        """As for the stores, and on failure say where each lagging partition's job is."""
        try:
            return await super().wait_until_projected(timeout_s)
        except AssertionError as failure:
            raise AssertionError(f"{failure}; in Redis: {await self.jobs_of(failure)}") from None

    async def jobs_of(self, failure: AssertionError) -> dict[str, list[str]]:
        """The arq and claim keys present for the partitions named in `failure`."""
        found: dict[str, list[str]] = {}
        for key in sorted(k.decode() for k in await self.redis.keys("*")):
            partition = key.rsplit(":", 1)[-1]
            if f"'{partition}'" in str(failure):
                found.setdefault(partition, []).append(key)
        queued = await self.redis.zrange(self.settings.queue_name, 0, -1, withscores=True)
        found["queue"] = [f"{job.decode()}@{score:.0f}" for job, score in queued]
        return found

    async def until_idle(self, timeout_s: float = 10) -> None:
        """Wait until no catch-up job is queued or running (each has counted and logged)."""
        deadline = time.monotonic() + timeout_s
        while await self.redis.zcard(self.settings.queue_name) or await self.redis.keys(
            "arq:in-progress:*"
        ):
            assert time.monotonic() < deadline, "the workers never went idle"
            await asyncio.sleep(0.02)


async def table_rows(store: ProjectionStore, table: str) -> list[dict[str, Any]]:
    """Every row of a projection table in primary-key order."""
    t = PROJECTION_METADATA.tables[table]
    async with store.reader.connect() as conn:
        result = await conn.execute(select(t).order_by(*t.primary_key.columns))
        return [dict(row._mapping) for row in result.all()]


# What a clean pass and an incremental one may differ in: bookkeeping, not projected data.
_BOOKKEEPING = {"projection_meta": None, "checkpoints": {"updated_utc"}}


async def projection_snapshot(store: ProjectionStore) -> dict[str, list[dict[str, Any]]]:
    """Every projection table, row for row (minus timestamps of bookkeeping)."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(PROJECTION_METADATA.tables):
        if name in _BOOKKEEPING and _BOOKKEEPING[name] is None:
            continue
        dropped = _BOOKKEEPING.get(name) or set()
        rows = await table_rows(store, name)
        snapshot[name] = [{k: v for k, v in row.items() if k not in dropped} for row in rows]
    return snapshot


async def clean_pass_snapshot(
    settings: ProjectorSettings, tmp_path: Path
) -> dict[str, list[dict[str, Any]]]:
    """The tables one runner builds from position 0 of the same log, in a fresh store."""
    async with AsyncExitStack() as stack:
        fresh = settings.model_copy()
        if settings.projection_url and not settings.projection_url.startswith("sqlite"):
            location = await stack.enter_async_context(fresh_pg_schema())
            fresh.projection_pg_schema = location.pg_schema or ""
        else:
            fresh.projection_url = f"sqlite+aiosqlite:///{tmp_path / 'clean-pass.sqlite3'}"
        stores = await open_projector(fresh)
        stack.push_async_callback(stores.close)
        for partition in await stores.runner.discover():
            await stores.runner.catch_up(partition)
        return await projection_snapshot(stores.store)


@asynccontextmanager
async def stores_env(
    backend: str, tmp_path: Path, redis_url: str | None = None, **overrides: Any
) -> AsyncIterator[StoresEnv]:
    """The log and projection store on `backend`, and the settings a projector would read."""
    async with AsyncExitStack() as stack:
        if backend == "sqlite":
            stores: dict[str, Any] = {
                "log_url": f"sqlite+aiosqlite:///{tmp_path / 'log.sqlite3'}",
                "projection_url": f"sqlite+aiosqlite:///{tmp_path / 'projections.sqlite3'}",
            }
        else:
            log_location = await stack.enter_async_context(fresh_pg_schema())
            projection_location = await stack.enter_async_context(fresh_pg_schema())
            stores = {
                "log_url": log_location.url,
                "log_pg_schema": log_location.pg_schema,
                "projection_url": projection_location.url,
                "projection_pg_schema": projection_location.pg_schema,
            }
        if redis_url is not None:
            overrides.update(
                redis_url=redis_url, queue_name=f"stratlog:test:{uuid.uuid4().hex[:8]}"
            )
        settings = ProjectorSettings(**stores, data_dir=tmp_path, **overrides)
        log = await open_event_log(
            settings.resolved_log_url(),
            pg_schema=None if backend == "sqlite" else settings.log_pg_schema,
        )
        stack.push_async_callback(log.close)
        # Created here, before any worker, so that two processes never race to create tables.
        store = await ProjectionStore.open(
            settings.resolved_projection_url(),
            pg_schema=None if backend == "sqlite" else settings.projection_pg_schema,
        )
        stack.push_async_callback(store.close)
        yield StoresEnv(settings, log, store)


@asynccontextmanager
async def worker_env(backend: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[WorkerEnv]:
    """`stores_env` plus a dedicated Redis database, a unique queue and ingest's doorbell."""
    async with AsyncExitStack() as stack:
        redis_url = await stack.enter_async_context(dedicated_redis_db())
        env = await stack.enter_async_context(stores_env(backend, tmp_path, redis_url, **overrides))
        doorbell = connect_doorbell(redis_url, env.settings.queue_name)
        stack.push_async_callback(doorbell.close)
        redis: Redis = Redis.from_url(redis_url)
        stack.push_async_callback(redis.aclose)
        yield WorkerEnv(env.settings, env.log, env.store, doorbell, redis)


def store_env(settings: ProjectorSettings) -> dict[str, str]:
    """STRATLOG_* environment variables that make a worker process read `settings`."""
    names = [
        "log_url",
        "projection_url",
        "log_pg_schema",
        "projection_pg_schema",
        "redis_url",
        "queue_name",
        "batch_size",
        "job_timeout_seconds",
        "poll_delay_seconds",
        "sweep_interval_seconds",
        "max_jobs",
        "liveness_ttl_seconds",
        "sqlite_synchronous",
    ]
    values = settings.model_dump()
    return {f"STRATLOG_{n.upper()}": str(values[n]) for n in names if values[n] is not None}


def make_worker(env: WorkerEnv, **options: Any) -> Worker:
    """An arq worker as `arq projector.worker.WorkerSettings` builds one, for these stores;
    `options` override or add Worker arguments (e.g. `burst=True`, a hook)."""
    return Worker(
        **{**worker_options(env.settings, configure_logs=False), **options},
        handle_signals=False,
    )


async def run_burst(env: WorkerEnv, **options: Any) -> int:
    """Run burst workers until the queue stays empty; the number of jobs they completed.

    One burst worker is not enough: arq's burst mode exits once the queue is empty and its
    running jobs are done, but a job's re-check may have rung again on its way out.
    """
    completed = 0
    for _ in range(10):
        worker = make_worker(env, burst=True, **options)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        assert worker.jobs_failed == 0, f"{worker.jobs_failed} jobs failed"
        completed += worker.jobs_complete
        if not await env.redis.zcard(env.settings.queue_name):
            return completed
    raise AssertionError("the queue never emptied")


@asynccontextmanager
async def running_worker(env: WorkerEnv, **options: Any) -> AsyncIterator[Worker]:
    """A worker polling in a task of this event loop, started up when the block begins."""
    worker = make_worker(env, **options)
    task = asyncio.create_task(worker.async_run())
    try:
        deadline = time.monotonic() + 10
        while "projector" not in worker.ctx or worker.ctx["projector"].sweeping is None:
            if task.done() or time.monotonic() > deadline:
                await task  # surface why it stopped
                raise AssertionError("the worker did not start")
            await asyncio.sleep(0.01)
        yield worker
    finally:
        # What SIGTERM does to `arq projector.worker.WorkerSettings`: stop taking jobs, let
        # the running ones end, stop; then close (which runs on_shutdown).
        worker.handle_sig_wait_for_completion(signal.SIGTERM)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()
