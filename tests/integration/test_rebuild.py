"""`stratlog rebuild`: a new generation built beside the live one and swapped in while ingest,
the projector and readers carry on; interrupted or killed, a rerun resumes it."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from projector.embedded import InProcessProjector
from projector.generation_stores import open_generation
from projector.rebuild import drop_replaced, rebuild
from projector.rebuild_progress import applied_events
from read_api.app import create_app
from read_api.settings import ReadSettings
from schema.settings import StoreSettings
from schema.tables.generations import BUILDING, DROPPED, LIVE
from tests.credentials import key_headers
from tests.integration.log_events import bar_event
from tests.integration.rebuild_env import (
    BACKENDS,
    clean_build,
    generations,
    generations_env,
    live_snapshot,
    seed,
    until,
    wait_until_live_projected,
)
from tests.integration.worker_env import StoresEnv, store_env

REPO = Path(__file__).resolve().parents[2]


def read_settings(env: StoresEnv) -> ReadSettings:
    return ReadSettings(
        **{name: getattr(env.settings, name) for name in StoreSettings.model_fields}
    )


class Reader:
    """Reads a dashboard makes, in a loop: every answer must be a 200 with rows in it."""

    def __init__(self, client: httpx.AsyncClient, run_id: str) -> None:
        self.client = client
        self.paths = [
            "/api/v1/runs",
            f"/api/runs/{run_id}",
            f"/api/v1/runs/{run_id}/trades",
            f"/api/v1/runs/{run_id}/bars?symbol=ESM5",
        ]
        self.reads = 0
        self.failures: list[str] = []
        self.generations_seen: set[str] = set()

    async def read_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for path in self.paths:
                response = await self.client.get(path)
                body = response.json()
                if response.status_code != 200 or not (body.get("items", True)):
                    self.failures.append(f"{path}: {response.status_code} {response.text[:200]}")
                self.reads += 1
            status = (await self.client.get("/api/status")).json()
            self.generations_seen.add(status["generation"])
            await asyncio.sleep(0.01)


async def ingest_until(
    env: StoresEnv, projector: InProcessProjector, runs: list[str], stop: asyncio.Event
) -> int:
    n = 0
    while not stop.is_set():
        projector.ring_runs(await env.append([bar_event(10_000 + n, run_id=runs[n % len(runs)])]))
        n += 1
        await asyncio.sleep(0.02)
    return n


@pytest.mark.parametrize("backend", BACKENDS)
async def test_reads_never_fail_or_go_empty_while_a_rebuild_is_swapped_in_under_ingest(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env:
        runs = await seed(env, runs=3, bars_per_run=300)
        projector = await InProcessProjector.open(env.settings, sweep_interval_s=0.2)
        await projector.start()
        try:
            await wait_until_live_projected(env)
            app = create_app(read_settings(env))
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://read",
                    headers=await key_headers(env.settings, "read"),
                ) as client,
            ):
                stop = asyncio.Event()
                reader = Reader(client, runs[0])
                reading = asyncio.create_task(reader.read_until(stop))
                ingesting = asyncio.create_task(ingest_until(env, projector, runs, stop))

                report = await rebuild(env.settings, batch_size=100)
                await drop_replaced(env.settings, report.replaced, after_s=3.0)
                await asyncio.sleep(1.5)  # and reads go on after the old store is gone

                stop.set()
                appended = (await asyncio.gather(reading, ingesting))[1]
                status = (await client.get("/api/status")).json()

            assert reader.failures == []
            assert reader.reads > 40
            assert appended > 20
            assert (report.generation, report.replaced, report.resumed_events) == ("g2", ["g1"], 0)
            assert reader.generations_seen == {"g1", "g2"}
            assert (status["generation"], status["rebuild"]) == ("g2", None)
            assert [(g.name, g.status) for g in await generations(env.settings)] == [
                ("g1", DROPPED),
                ("g2", LIVE),
            ]
            await wait_until_live_projected(env)  # the projector moved over to g2 by itself
            assert await live_snapshot(env.settings) == await clean_build(env.settings, tmp_path)
        finally:
            await projector.stop()


def start_rebuild(env: StoresEnv, tmp_path: Path, *args: str) -> "subprocess.Popen[str]":
    """`stratlog rebuild` as an operator runs it, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "stratlog", "rebuild", "--data-dir", str(tmp_path), *args],
        cwd=REPO,
        env={**os.environ, **store_env(env.settings)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def shadow_applied(env: StoresEnv, name: str = "g2") -> int:
    if not any(g.name == name for g in await generations(env.settings)):
        return 0
    store = await open_generation(env.settings, name)
    try:
        return await applied_events(store)
    finally:
        await store.close()


def applied_more_than(env: StoresEnv, events: int) -> Callable[[], Awaitable[bool]]:
    async def condition() -> bool:
        return await shadow_applied(env) > events

    return condition


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_interrupted_or_killed_rebuild_resumes_where_it_stopped(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env:
        await seed(env, runs=2, bars_per_run=1500)

        interrupted = start_rebuild(env, tmp_path, "--batch-size", "5")
        await until(applied_more_than(env, 0), timeout_s=60, what="first batches")
        interrupted.send_signal(signal.SIGINT)
        _, err = interrupted.communicate(timeout=30)
        assert interrupted.returncode == 130, err
        assert "`stratlog rebuild` again resumes it" in err
        (g1, g2) = await generations(env.settings)
        assert (g1.status, g2.status, g2.owner, g2.reason) == (LIVE, BUILDING, None, "manual")
        await until(lambda: _status_shows_rebuild(env), timeout_s=10, what="status")

        at_kill = await shadow_applied(env)
        killed = start_rebuild(env, tmp_path, "--batch-size", "5")
        await until(applied_more_than(env, at_kill), timeout_s=60, what="progress")
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=30)
        at_kill = await shadow_applied(env)
        assert (await generations(env.settings))[1].owner is not None  # a dead owner's lease

        rerun = start_rebuild(env, tmp_path, "--batch-size", "500", "--keep-previous")
        out, err = rerun.communicate(timeout=90)
        assert rerun.returncode == 0, err
        assert out.startswith("rebuild: g2 is live, replacing g1: ")
        resumed = int(out.split("(resumed after ")[1].split(")")[0].replace(",", ""))
        assert resumed >= at_kill > 0
        await wait_until_live_projected(env)
        assert await live_snapshot(env.settings) == await clean_build(env.settings, tmp_path)


async def _status_shows_rebuild(env: StoresEnv) -> bool:
    app = create_app(read_settings(env))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://read",
            headers=await key_headers(env.settings, "read"),
        ) as client,
    ):
        status: dict[str, Any] = (await client.get("/api/status")).json()
    rebuild_ = status["rebuild"]
    return bool(
        status["generation"] == "g1"
        and rebuild_ is not None
        and rebuild_["generation"] == "g2"
        and rebuild_["reason"] == "manual"
        and rebuild_["applied_events"] > 0
        and rebuild_["total_events"] == 2 + 2 * 15 + 2 * 1500  # 2 catalog, 15 per run, bars
    )
