"""A projector whose projection versions differ from the live generation's never writes it:
newer code rebuilds a generation of its own at start and swaps it in; older code waits."""

import asyncio
from pathlib import Path

import pytest

from projector.embedded import InProcessProjector
from projector.generation_stores import open_generation
from projector.rebuild import rebuild
from projector.versions import PROJECTION_VERSIONS, VERSIONS_KEY, Compatibility, decode_versions
from schema.tables.generations import BUILDING, LIVE, RETIRED
from tests.integration.log_events import bar_event
from tests.integration.rebuild_env import (
    BACKENDS,
    clean_build,
    generations,
    generations_env,
    live_snapshot,
    live_store,
    seed,
    until,
    wait_until_live_projected,
)
from tests.integration.worker_env import StoresEnv, projection_snapshot

BUMPED = {**PROJECTION_VERSIONS, "bars": PROJECTION_VERSIONS["bars"] + 1}


async def project_with_current_code(env: StoresEnv) -> None:
    projector = await InProcessProjector.open(env.settings, sweep_interval_s=0.2)
    await projector.start()
    try:
        await wait_until_live_projected(env)
    finally:
        await projector.stop()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_projection_version_bump_rebuilds_at_projector_start_and_swaps_in(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env:
        runs = await seed(env, runs=2, bars_per_run=100)
        await project_with_current_code(env)
        async with live_store(env.settings) as first:
            made_by_old_code = await projection_snapshot(first)
        await env.append([bar_event(5000, run_id=runs[0])])  # while no projector runs

        projector = await InProcessProjector.open(
            env.settings, sweep_interval_s=0.2, versions=BUMPED
        )
        await projector.start()
        try:

            async def swapped() -> bool:
                return [g.status for g in await generations(env.settings)] == [RETIRED, LIVE]

            await until(swapped, timeout_s=30, what="the swap")
            g1, g2 = await generations(env.settings)
            assert (g2.name, g2.reason, g2.versions) == ("g2", "version change", BUMPED)
            old = await open_generation(env.settings, g1.name)  # retired, not dropped yet
            try:  # frozen: the new code wrote nothing there, not even the new bar
                assert await projection_snapshot(old) == made_by_old_code
            finally:
                await old.close()
            await wait_until_live_projected(env)  # the projector carries on in g2
            assert await live_snapshot(env.settings) == await clean_build(env.settings, tmp_path)
            async with live_store(env.settings) as live:
                recorded = await live.get_meta(VERSIONS_KEY)
            assert recorded is not None
            assert decode_versions(recorded) == BUMPED
        finally:
            await projector.stop()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_projector_older_than_the_live_generation_writes_and_rebuilds_nothing(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env:
        runs = await seed(env, runs=1)
        await rebuild(env.settings, versions=BUMPED)  # a newer deploy made the live generation
        before = await live_snapshot(env.settings)

        projector = await InProcessProjector.open(env.settings, sweep_interval_s=0.1)
        await projector.start()
        try:
            projector.ring_runs(await env.append([bar_event(5000, run_id=runs[0])]))
            await asyncio.sleep(1.0)  # ten sweeps
            assert projector._stores is not None
            assert projector._stores.compatibility is Compatibility.CODE_OLDER
        finally:
            await projector.stop()

        assert await live_snapshot(env.settings) == before
        assert BUILDING not in [g.status for g in await generations(env.settings)]
