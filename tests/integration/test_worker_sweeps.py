"""A running projector worker's sweeps find what the doorbell lost (real Redis, real stores)."""

import asyncio
import time
from pathlib import Path

import pytest

from schema.doorbell import COALESCED, JOBS, SWEEP_WAKEUPS, catch_up_job_id
from tests.integration.log_events import bar_event
from tests.integration.worker_env import ARQ_CLOSE_DEPRECATION, running_worker, worker_env

pytestmark = ARQ_CLOSE_DEPRECATION

SWEEP_S = 1.0


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_flushing_redis_mid_load_loses_no_event(backend: str, tmp_path: Path) -> None:
    # One job at a time and small batches, so the queue is holding jobs when it is flushed.
    settings = {"sweep_interval_seconds": SWEEP_S, "max_jobs": 1, "batch_size": 10}
    async with worker_env(backend, tmp_path, **settings) as env, running_worker(env):
        for run in range(20):
            await env.append_and_ring([bar_event(n, run_id=f"run-{run}") for n in range(20)])
        queued_when_flushed = await env.redis.zcard(env.settings.queue_name)
        await env.redis.flushdb()
        flushed = time.monotonic()
        assert queued_when_flushed > 0, "the worker drained the queue before the flush"
        assert await env.lagging(), "nothing was left to lose"

        while not (await env.counters())[SWEEP_WAKEUPS]:  # counted since the flush
            assert time.monotonic() - flushed < SWEEP_S + 1, "no sweep woke the lost partitions"
            await asyncio.sleep(0.01)
        await env.wait_until_projected(timeout_s=20)

        series = await env.rows("run_series")
        assert [s["bar_count"] for s in series] == [20] * 20


async def test_a_job_claimed_by_a_dead_worker_is_freed_by_the_sweep(tmp_path: Path) -> None:
    # What a worker killed mid-job leaves in Redis: its job queued and marked in progress.
    # arq keeps that claim for the job timeout + 10 s, and every ring meanwhile coalesces
    # into it; the sweep must notice that the partition does not move and free the claim.
    async with worker_env("sqlite", tmp_path, sweep_interval_seconds=0.3) as env:
        await env.append([bar_event(n) for n in range(5)])
        job_id = catch_up_job_id("run-1")
        await env.doorbell.ring(["run-1"])
        await env.redis.set(f"arq:in-progress:{job_id}", b"1", px=600_000)

        async with running_worker(env):
            await env.append_and_ring([bar_event(n) for n in range(5, 10)])
            # A few sweep intervals, not the ten minutes that claim had left.
            await env.wait_until_projected(timeout_s=5)
            await env.until_idle()
            counters = await env.counters()

        assert counters[COALESCED] == 1  # the second ring met the dead claim
        assert counters[JOBS] >= 1  # a job, not the sweep, projected it
        (series,) = await env.rows("run_series")
        assert series["bar_count"] == 10


async def test_a_job_held_by_a_live_worker_is_left_to_it_until_that_worker_goes_silent(
    tmp_path: Path,
) -> None:
    settings = {"sweep_interval_seconds": 0.1, "liveness_ttl_seconds": 0.6}
    async with worker_env("sqlite", tmp_path, **settings) as env:
        await env.append([bar_event(n) for n in range(5)])
        job_id = catch_up_job_id("run-1")
        await env.doorbell.ring(["run-1"])
        # Another worker, alive, has started this job and is slow.
        queue = env.settings.queue_name
        await env.redis.set(f"arq:in-progress:{job_id}", b"1", px=600_000)
        await env.redis.set(f"{queue}:owner:run-1", b"other-worker", px=600_000)
        await env.redis.set(f"{queue}:alive:other-worker", b"1", px=600_000)

        async with running_worker(env):
            await asyncio.sleep(0.6)  # six sweeps
            assert await env.redis.exists(f"arq:in-progress:{job_id}")
            assert await env.lagging()

            await env.redis.delete(f"{queue}:alive:other-worker")  # its heartbeat stops
            await env.wait_until_projected(timeout_s=5)  # not the ten minutes of its claim
