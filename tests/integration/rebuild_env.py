"""Stores for the generation tests (rebuild, verify, versions): a seeded log, the live
generation, and what a clean build of the same log gives.

Built on `worker_env.stores_env` (SQLite files in tmp_path, or fresh PostgreSQL schemas).
Generation N of a PostgreSQL projection schema lives in a schema of its own beside it
(`<schema>_gN`), which `fresh_pg_schema` knows nothing of: `generations_env` drops those.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from projector.generation_stores import open_generation
from projector.generations import Generation, Generations
from projector.opening import open_feed
from projector.rebuild import catch_up_until_quiet
from projector.runner import Runner
from projector.settings import ProjectorSettings
from projector.store import ProjectionStore
from tests.conftest import PG_DSN, fresh_pg_schema
from tests.fixtures.sessions import bracket_session
from tests.integration.log_events import bar_event
from tests.integration.worker_env import StoresEnv, projection_snapshot, stores_env

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
Snapshot = dict[str, list[dict[str, Any]]]


@asynccontextmanager
async def generations_env(
    backend: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[StoresEnv]:
    """`stores_env`, and at the end every generation schema beside its projection schema
    dropped."""
    async with stores_env(backend, tmp_path, **overrides) as env:
        try:
            yield env
        finally:
            if backend != "sqlite":
                await _drop_generation_schemas(env.settings.projection_pg_schema)


async def _drop_generation_schemas(base: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        rows = await conn.fetch(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1",
            f"{base}\\_g%",
        )
        for row in rows:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{row["schema_name"]}" CASCADE')
    finally:
        await conn.close()


async def seed(env: StoresEnv, runs: int = 3, bars_per_run: int = 0) -> list[str]:
    """Append a bracket session (and `bars_per_run` more bars) for each of `runs` new runs."""
    run_ids = [str(uuid.uuid4()) for _ in range(runs)]
    for run_id in run_ids:
        await env.append(bracket_session(run_id))
        for start in range(0, bars_per_run, 1000):
            count = min(1000, bars_per_run - start)
            await env.append(
                [bar_event(100 + n, run_id=run_id) for n in range(start, start + count)]
            )
    return run_ids


async def generations(settings: ProjectorSettings) -> list[Generation]:
    control = await Generations.open(settings)
    try:
        return await control.all()
    finally:
        await control.close()


@asynccontextmanager
async def live_store(settings: ProjectorSettings) -> AsyncIterator[ProjectionStore]:
    """The live generation's projection store."""
    control = await Generations.open(settings)
    try:
        name = await control.live_name()
    finally:
        await control.close()
    store = await open_generation(settings, name)
    try:
        yield store
    finally:
        await store.close()


async def live_snapshot(settings: ProjectorSettings) -> Snapshot:
    async with live_store(settings) as store:
        return await projection_snapshot(store)


async def wait_until_live_projected(env: StoresEnv, timeout_s: float = 20) -> None:
    """Until the live generation's checkpoints reach the log's head in every partition."""
    async with live_store(env.settings) as store:
        await StoresEnv(env.settings, env.log, store).wait_until_projected(timeout_s)


async def clean_build(settings: ProjectorSettings, tmp_path: Path) -> Snapshot:
    """The tables one runner builds from position 0 of the log into a fresh store."""
    async with AsyncExitStack() as stack:
        if settings.resolved_projection_url().startswith("sqlite"):
            url = f"sqlite+aiosqlite:///{tmp_path / f'clean-{uuid.uuid4().hex[:8]}.sqlite3'}"
            store = await ProjectionStore.open(url)
        else:
            location = await stack.enter_async_context(fresh_pg_schema())
            store = await ProjectionStore.open(location.url, pg_schema=location.pg_schema)
        stack.push_async_callback(store.close)
        feed = open_feed(settings)
        stack.push_async_callback(feed.engine.dispose)
        await catch_up_until_quiet(Runner(feed, store))
        return await projection_snapshot(store)


async def until(condition: Any, timeout_s: float = 20, what: str = "condition") -> None:
    """Poll the async `condition()` until it is true (fails at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, f"{what} not met within {timeout_s}s"
        await asyncio.sleep(0.05)
