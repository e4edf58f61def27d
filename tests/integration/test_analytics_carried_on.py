"""A live runner carries each run's analysis on from pass to pass, and its tables end exactly as
one pass from position 0 makes them, on SQLite and PostgreSQL; an analysis kept by a runner
is dropped once something else changed the run's analytics."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from projector.runner import Runner
from projector.store import ProjectionStore
from schema.doorbell import CATALOG_PARTITION
from stratlog.simulation import generate_sessions
from tests.conftest import fresh_pg_schema
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.property.test_projection_properties import dump, one_pass, same_bytes

SESSION = list(generate_sessions(11, runs=2, events_per_run=500))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProjectionEnv]:
    async with projection_env(request.param, tmp_path, batch_size=40) as environment:
        yield environment


@asynccontextmanager
async def reference_store(env: ProjectionEnv, tmp_path: Path) -> AsyncIterator[ProjectionStore]:
    """A fresh store on the same backend, caught up in one pass from position 0."""
    if env.store.writer.dialect.name == "sqlite":
        store = await ProjectionStore.open(f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
        try:
            await one_pass(env.feed, store)
            yield store
        finally:
            await store.close()
        return
    async with fresh_pg_schema() as location:
        store = await ProjectionStore.open(location.url, pg_schema=location.pg_schema)
        try:
            await one_pass(env.feed, store)
            yield store
        finally:
            await store.close()


async def _catch_up(runner: Runner) -> None:
    for partition in await runner.discover():
        await runner.catch_up(partition)


async def _append_in_chunks(env: ProjectionEnv, events: Sequence[Any], size: int) -> None:
    for start in range(0, len(events), size):
        await env.append(events[start : start + size])
        await _catch_up(env.runner)


async def test_a_run_analyzed_pass_after_pass_ends_as_one_pass_makes_it(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    await _append_in_chunks(env, SESSION, 70)

    assert env.runner.kept.carried_on >= 10
    async with reference_store(env, tmp_path) as reference:
        same_bytes(await dump(env.store), await dump(reference))


async def test_an_analysis_made_stale_by_another_worker_is_not_carried_on(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    half = len(SESSION) // 2
    await _append_in_chunks(env, SESSION[:half], 100)  # env.runner keeps both runs' analyses
    other = Runner(env.feed, env.store, batch_size=25)
    await env.append(SESSION[half : half + 150])
    await _catch_up(other)  # another worker moves the runs on and analyzes them
    carried = env.runner.kept.carried_on

    await _append_in_chunks(env, SESSION[half + 150 :], 1000)

    assert env.runner.kept.carried_on == carried  # both runs started over, once
    async with reference_store(env, tmp_path) as reference:
        same_bytes(await dump(env.store), await dump(reference))


async def test_the_catalog_is_caught_up_before_the_runs(env: ProjectionEnv) -> None:
    await env.append(SESSION[:300])

    behind = await env.runner.discover()

    assert behind[0] == CATALOG_PARTITION
    assert len(behind) == 3
