"""The Procfile's `admin` process (`uvicorn stratlog.admin.app:app`) on PostgreSQL: an admin
key starts a rebuild and a verify over HTTP and follows both to their outcome; other
credentials are refused."""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from schema.settings import StoreSettings
from tests.credentials import key_headers
from tests.e2e.procfile import process, procfile_env, uvicorn
from tests.e2e.serving import free_port

pytestmark = pytest.mark.postgres


async def finished(client: httpx.AsyncClient, started: httpx.Response) -> dict[str, Any]:
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while (job := (await client.get(started.headers["location"])).json())["status"] == "running":
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.2)
    return dict(job)


async def test_the_admin_process_runs_rebuild_and_verify_jobs_for_an_admin_key(
    tmp_path: Path,
) -> None:
    async with procfile_env(tmp_path) as env:
        store = StoreSettings(
            data_dir=Path(env["STRATLOG_DATA_DIR"]),
            log_url=env["STRATLOG_LOG_URL"],
            log_pg_schema=env["STRATLOG_LOG_PG_SCHEMA"],
        )
        admin, ingest_only = await key_headers(store), await key_headers(store, "ingest")
        port = free_port()
        command = uvicorn("stratlog.admin.app:app", port)
        with process("admin", command, env, tmp_path, port) as server:
            async with httpx.AsyncClient(base_url=server.url, headers=admin) as client:
                refused = await client.post("/api/admin/verify", headers=ingest_only)
                assert refused.status_code == 403

                rebuilt = await finished(client, await client.post("/api/admin/rebuild"))
                verified = await finished(client, await client.post("/api/admin/verify"))

                assert rebuilt["status"] == "succeeded", rebuilt
                assert verified["status"] == "succeeded", verified
                assert verified["result"]["identical"] is True
                listed = (await client.get("/api/admin/jobs")).json()["jobs"]
                assert [job["kind"] for job in listed] == ["verify", "rebuild"]
