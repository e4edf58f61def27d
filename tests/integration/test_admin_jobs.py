"""Admin jobs over HTTP (`/api/admin`, stratlog/admin): rebuild, verify and replay started by
an admin key, followed to their outcome through their records; cancelled; refused to other
scopes. Real stores (SQLite files, PostgreSQL schemas) and real HTTP for the replay target."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from projector.settings import ProjectorSettings
from schema.generations import FIRST_GENERATION
from stratlog.admin.app import create_admin_app
from tests.credentials import key_headers
from tests.integration.rebuild_env import (
    BACKENDS,
    clean_build,
    generations,
    generations_env,
    live_snapshot,
)
from tests.integration.replay_env import ScriptedTarget, serving
from tests.integration.test_verify import projected, tamper

FINISH_TIMEOUT_S = 60.0


@dataclass
class Admin:
    """The admin app over a test's stores, driven over HTTP with an admin key."""

    client: httpx.AsyncClient

    async def start(self, path: str, body: Any = None) -> dict[str, Any]:
        response = await self.client.post(path, json=body)
        assert response.status_code == 202, response.text
        job: dict[str, Any] = response.json()
        assert response.headers["location"] == f"/api/admin/jobs/{job['job_id']}"
        assert job["status"] == "running"
        return job

    async def job(self, job_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/admin/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def finished(self, job_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + FINISH_TIMEOUT_S
        while (job := await self.job(job_id))["status"] == "running":
            assert time.monotonic() < deadline, f"job {job_id} still running: {job}"
            await asyncio.sleep(0.1)
        return job


@asynccontextmanager
async def admin_app(settings: ProjectorSettings) -> AsyncIterator[Admin]:
    app = create_admin_app(settings)
    headers = await key_headers(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://admin", headers=headers
        ) as client:
            yield Admin(client)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_rebuild_job_swaps_in_a_clean_build_and_reports_its_work(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env, admin_app(env.settings) as admin:
        await projected(env)

        job = await admin.finished((await admin.start("/api/admin/rebuild"))["job_id"])

        assert job["status"] == "succeeded", job
        assert job["kind"] == "rebuild"
        assert job["requested_by"].startswith("key:")
        result = job["result"]
        assert result["replaced"] == [FIRST_GENERATION]
        live = [g.name for g in await generations(env.settings) if g.status == "live"]
        assert live == [result["generation"]] != [FIRST_GENERATION]
        assert result["applied_events"] == job["progress"]["done"] > 0
        assert job["finished_utc"] is not None
        assert await live_snapshot(env.settings) == await clean_build(env.settings, tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_verify_job_succeeds_on_a_healthy_store_and_names_a_tampered_row(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env, admin_app(env.settings) as admin:
        runs = await projected(env)

        healthy = await admin.finished((await admin.start("/api/admin/verify"))["job_id"])
        assert healthy["status"] == "succeeded", healthy
        assert healthy["result"]["identical"] is True
        assert all(table["same"] for table in healthy["result"]["tables"])

        await tamper(env, runs[0])
        found = await admin.finished((await admin.start("/api/admin/verify"))["job_id"])
        assert found["status"] == "different", found
        differing = {t["table"]: t for t in found["result"]["tables"] if not t["same"]}
        assert set(differing) == {"executions", "trades"}
        keys = [d["key"] for d in differing["executions"]["differences"]]
        assert {"run_id": runs[0], "execution_id": "T-2"} in keys


async def test_a_rebuild_of_an_unknown_run_fails_and_says_why(tmp_path: Path) -> None:
    async with generations_env("sqlite", tmp_path) as env, admin_app(env.settings) as admin:
        await projected(env, runs=1)
        started = await admin.start("/api/admin/rebuild", {"run_id": "no-such-run"})
        job = await admin.finished(started["job_id"])
        assert job["status"] == "failed"
        assert "no event of run 'no-such-run'" in job["error"]


async def test_a_replay_job_sends_the_run_to_the_target_without_storing_its_key(
    tmp_path: Path,
) -> None:
    target = ScriptedTarget()
    async with (
        generations_env("sqlite", tmp_path) as env,
        admin_app(env.settings) as admin,
        serving(target.app(), target.port) as url,
    ):
        runs = await projected(env, runs=2)
        request = {"run_id": runs[0], "to": url, "api_key": "slk_target_secret", "batch_size": 7}
        started = await admin.start("/api/admin/replay", request)
        assert "api_key" not in started["arguments"]

        job = await admin.finished(started["job_id"])

        assert job["status"] == "succeeded", job
        sent = target.event_ids
        assert job["result"]["events"] == len(sent) == job["progress"]["done"] > 7
        assert {h["x-api-key"] for h in target.headers} == {"slk_target_secret"}
        listed = (await admin.client.get("/api/admin/jobs")).json()["jobs"]
        assert "slk_target_secret" not in str(listed)


async def test_a_cancelled_job_stops_and_is_recorded_cancelled(tmp_path: Path) -> None:
    target = ScriptedTarget()
    async with (
        generations_env("sqlite", tmp_path) as env,
        admin_app(env.settings) as admin,
        serving(target.app(), target.port) as url,
    ):
        runs = await projected(env, runs=1)
        # Re-timed to a crawl: the run's bars are a minute apart, so it waits after the first.
        request = {"run_id": runs[0], "to": url, "speed": 0.001, "batch_size": 1}
        started = await admin.start("/api/admin/replay", request)
        busy = await admin.client.post("/api/admin/replay", json=request)
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "job_running"

        response = await admin.client.post(f"/api/admin/jobs/{started['job_id']}/cancel")

        assert response.status_code == 200, response.text
        job = response.json()
        assert job["status"] == "cancelled"
        assert "kept" in job["error"]
        assert (await admin.job(started["job_id"]))["status"] == "cancelled"


async def test_admin_routes_refuse_callers_without_the_admin_scope(tmp_path: Path) -> None:
    async with generations_env("sqlite", tmp_path) as env, admin_app(env.settings) as admin:
        read_only = await key_headers(env.settings, "read")
        for path in ("/api/admin/verify", "/api/admin/rebuild"):
            assert (await admin.client.post(path, headers={"X-API-Key": ""})).status_code == 401
            assert (await admin.client.post(path, headers=read_only)).status_code == 403
        assert (await admin.client.get("/api/admin/jobs", headers=read_only)).status_code == 403
        unknown = await admin.client.get("/api/admin/jobs/nope")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "not_found"
        assert (await admin.client.get("/api/admin/jobs")).json() == {"jobs": []}


async def test_two_rebuilds_asked_at_once_start_one_job(tmp_path: Path) -> None:
    async with generations_env("sqlite", tmp_path) as env, admin_app(env.settings) as admin:
        await projected(env, runs=1)
        answers = await asyncio.gather(
            admin.client.post("/api/admin/rebuild"), admin.client.post("/api/admin/rebuild")
        )
        assert sorted(a.status_code for a in answers) == [202, 409]
        [started] = [a.json() for a in answers if a.status_code == 202]
        assert (await admin.finished(started["job_id"]))["status"] == "succeeded"
