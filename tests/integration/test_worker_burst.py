"""The arq projector worker in burst mode: rings become jobs, jobs become tables (real Redis)."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from schema.doorbell import (
    CATALOG_PARTITION,
    COALESCED,
    JOBS,
    RUNG,
    SWEEP_WAKEUPS,
    SWEEPS,
    catch_up_job_id,
)
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.log_events import bar_event
from tests.integration.worker_env import ARQ_CLOSE_DEPRECATION, run_burst, worker_env

pytestmark = ARQ_CLOSE_DEPRECATION

IN_PROGRESS = "arq:in-progress:"  # arq's key for a job a worker has claimed


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_ring_enqueues_one_job_per_partition_and_the_job_projects_it(
    backend: str, tmp_path: Path
) -> None:
    async with worker_env(backend, tmp_path) as env:
        await env.append_and_ring(bracket_session())
        queued = await env.redis.zrange(env.settings.queue_name, 0, -1)
        assert sorted(queued) == sorted(
            catch_up_job_id(p).encode() for p in (RUN, CATALOG_PARTITION)
        )

        assert await run_burst(env) == 2
        assert await env.lagging() == {}
        (run,) = await env.rows("strategy_runs")
        assert (run["status"], run["event_count"]) == ("COMPLETED", 15)
        assert len(await env.rows("orders")) == 3
        counters = await env.counters()
        assert (counters[RUNG], counters[COALESCED], counters[JOBS]) == (2, 0, 2)
        assert counters[SWEEPS] == 1  # the startup sweep
        assert await env.redis.keys("arq:result:*") == []  # keep_result=0: nothing lingers


async def test_ten_quick_rings_coalesce_into_one_job_that_projects_everything(
    tmp_path: Path,
) -> None:
    async with worker_env("sqlite", tmp_path) as env:
        for n in range(10):
            await env.append_and_ring([bar_event(n)])

        jobs = await run_burst(env)

        counters = await env.counters()
        assert (counters[RUNG], counters[COALESCED]) == (10, 9)
        assert jobs == counters[JOBS] == 1
        (series,) = await env.rows("run_series")
        assert series["bar_count"] == 10


async def test_a_ring_refused_after_the_catch_up_but_before_arq_frees_the_job_is_not_lost(
    tmp_path: Path,
) -> None:
    # arq's on_job_end hook runs after the job returned and before its id is released: the
    # exact window in which a ring is refused as a duplicate and the job has stopped looking.
    async with worker_env("sqlite", tmp_path) as env:
        await env.append_and_ring([bar_event(0)])
        late = [bar_event(n) for n in range(1, 6)]

        async def append_while_the_job_still_holds_its_id(ctx: dict[str, Any]) -> None:
            if late:
                await env.append_and_ring(late[:])
                late.clear()

        jobs = await run_burst(env, on_job_end=append_while_the_job_still_holds_its_id)

        assert (await env.counters())[COALESCED] == 1  # the late ring was refused...
        assert jobs == 2  # ...and the re-check after the job rang again
        (series,) = await env.rows("run_series")
        assert series["bar_count"] == 6


async def test_events_appended_while_a_job_catches_up_are_projected_without_another_ring(
    backend: str, tmp_path: Path
) -> None:
    async with worker_env(backend, tmp_path, batch_size=5) as env:
        await env.append_and_ring([bar_event(n) for n in range(300)])
        job_key = IN_PROGRESS + catch_up_job_id("run-1")

        async def append_once_the_job_runs() -> bool:
            while not await env.redis.exists(job_key):
                await asyncio.sleep(0.002)
            await env.append_and_ring([bar_event(n) for n in range(300, 320)])
            return bool(await env.redis.exists(job_key))

        appending = asyncio.create_task(append_once_the_job_runs())
        await run_burst(env)
        assert await appending, "the job ended before the test appended"

        assert (await env.counters())[COALESCED] == 1
        assert await env.lagging() == {}
        (series,) = await env.rows("run_series")
        assert series["bar_count"] == 320


async def test_the_startup_sweep_wakes_partitions_whose_ring_never_came(tmp_path: Path) -> None:
    async with worker_env("sqlite", tmp_path) as env:
        await env.append(bracket_session())  # durable, but ingest died before ringing

        assert await run_burst(env) == 2
        assert await env.lagging() == {}
        counters = await env.counters()
        assert (counters[RUNG], counters[SWEEPS], counters[SWEEP_WAKEUPS]) == (0, 1, 2)


async def test_a_job_that_runs_twice_applies_nothing_the_second_time(tmp_path: Path) -> None:
    async with worker_env("sqlite", tmp_path) as env:
        await env.append_and_ring(bracket_session())
        await run_burst(env)
        before = await env.rows("orders")
        await env.doorbell.ring([RUN])  # a second ring for what is already projected

        assert await run_burst(env) == 1
        (run,) = await env.rows("strategy_runs")
        assert run["event_count"] == 15
        assert await env.rows("orders") == before
