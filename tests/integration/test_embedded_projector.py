"""The in-process projector of `stratlog serve` keeps the tables up with the log, no Redis."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from projector.embedded import InProcessProjector
from schema.doorbell import COALESCED, JOBS, RUNG, SWEEP_WAKEUPS, SWEEPS
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.log_events import bar_event
from tests.integration.worker_env import StoresEnv, stores_env

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
NO_SWEEP_S = 3600.0  # longer than any test: only rings (and the startup sweep) wake


@asynccontextmanager
async def running(
    env: StoresEnv,
    *,
    batch_size: int = 1000,
    sweep_interval_s: float = NO_SWEEP_S,
    stop_grace_s: float = 10.0,
) -> AsyncIterator[InProcessProjector]:
    projector = await InProcessProjector.open(
        env.settings,
        batch_size=batch_size,
        sweep_interval_s=sweep_interval_s,
        stop_grace_s=stop_grace_s,
    )
    await projector.start()
    try:
        yield projector
    finally:
        await projector.stop()


async def jobs_done(projector: InProcessProjector, count: int) -> None:
    """Wait (bounded) until `count` catch-ups have finished: a catch-up commits before it
    counts itself."""
    for _ in range(500):
        if projector.counters()[JOBS] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} catch-ups finished: {projector.counters()}")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_ring_after_an_append_projects_the_run(backend: str, tmp_path: Path) -> None:
    async with stores_env(backend, tmp_path) as env, running(env) as projector:
        projector.ring_runs(await env.append(bracket_session()))
        await env.wait_until_projected(timeout_s=10)
        (run,) = await env.rows("strategy_runs")
        assert (run["run_id"], run["status"], run["event_count"]) == (RUN, "COMPLETED", 15)
        assert len(await env.rows("orders")) == 3
        await jobs_done(projector, 2)  # the run's and the catalog's
        assert projector.counters()[RUNG] == 2


async def test_rings_during_a_slow_catch_up_are_not_lost(tmp_path: Path) -> None:
    # Tiny batches make the first catch-up take a while; what is appended and rung for
    # another run and for the same run meanwhile must be projected with no ring after it.
    async with stores_env("sqlite", tmp_path) as env, running(env, batch_size=5) as projector:
        projector.ring_runs(await env.append([bar_event(n, run_id="slow") for n in range(600)]))
        while not (await env.store.all_checkpoints()):
            await asyncio.sleep(0.005)
        (checkpoint,) = await env.store.all_checkpoints()
        assert checkpoint.position < 600, "the catch-up finished before the test could ring"
        projector.ring_runs(await env.append(bracket_session("other")))
        projector.ring_runs(
            await env.append([bar_event(n, run_id="slow") for n in range(600, 620)])
        )
        await env.wait_until_projected(timeout_s=20)
        runs = {r["run_id"]: r for r in await env.rows("strategy_runs")}
        assert runs["slow"]["event_count"] == 620
        assert runs["other"]["event_count"] == 15


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_periodic_sweep_projects_events_nobody_rang_for(
    backend: str, tmp_path: Path
) -> None:
    async with (
        stores_env(backend, tmp_path) as env,
        running(env, sweep_interval_s=0.1) as projector,
    ):
        await env.append(bracket_session())  # and no ring
        await env.wait_until_projected(timeout_s=5)
        (run,) = await env.rows("strategy_runs")
        assert run["event_count"] == 15
        counters = projector.counters()
        assert counters[RUNG] == 0
        assert counters[SWEEP_WAKEUPS] >= 2  # the run and the catalog, found by a sweep


async def test_starting_catches_up_what_was_appended_while_stopped(tmp_path: Path) -> None:
    async with stores_env("sqlite", tmp_path) as env:
        await env.append(bracket_session())
        async with running(env) as projector:
            await env.wait_until_projected(timeout_s=5)
            assert projector.counters()[SWEEPS] == 1


async def test_rings_for_a_partition_already_waiting_coalesce(tmp_path: Path) -> None:
    async with stores_env("sqlite", tmp_path) as env:
        projector = await InProcessProjector.open(env.settings, sweep_interval_s=NO_SWEEP_S)
        try:
            for n in range(10):  # not started yet: every ring after the first finds it dirty
                projector.ring_runs(await env.append([bar_event(n)]))
            await projector.start()
            await env.wait_until_projected(timeout_s=5)
            await jobs_done(projector, 1)
            counters = projector.counters()
            assert (counters[RUNG], counters[COALESCED], counters[JOBS]) == (10, 9, 1)
        finally:
            await projector.stop()


async def test_stopping_lets_the_catch_up_under_way_finish(tmp_path: Path) -> None:
    async with stores_env("sqlite", tmp_path) as env:
        async with running(env, batch_size=5) as projector:
            projector.ring_runs(await env.append([bar_event(n) for n in range(200)]))
            await catch_up_started(env)
        (checkpoint,) = await env.store.all_checkpoints()
        assert checkpoint.position == 200


async def test_stopping_past_its_grace_cancels_without_a_torn_batch_or_a_held_lock(
    tmp_path: Path,
) -> None:
    async with stores_env("sqlite", tmp_path) as env:
        async with running(env, batch_size=5, stop_grace_s=0) as projector:
            projector.ring_runs(await env.append([bar_event(n) for n in range(400)]))
            await catch_up_started(env)
        # Cancelled mid-way: whatever is committed is whole (bars counted == checkpoint)...
        (checkpoint,) = await env.store.all_checkpoints()
        assert 0 < checkpoint.position < 400
        assert len(await env.rows("bars")) == checkpoint.position == checkpoint.applied_events
        # ...and no connection of the cancelled catch-up still holds SQLite's write lock.
        probe = sqlite3.connect(tmp_path / "projections.sqlite3", timeout=1)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        finally:
            probe.close()
        async with running(env):
            await env.wait_until_projected(timeout_s=10)
        assert len(await env.rows("bars")) == 400


async def catch_up_started(env: StoresEnv) -> None:
    """Wait until the first batch is committed."""
    while not any(c.position for c in await env.store.all_checkpoints()):
        await asyncio.sleep(0.005)
