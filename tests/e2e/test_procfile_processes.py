"""The Procfile's three processes, as real processes on PostgreSQL and Redis, turn an
exporter's recorded session into projections: ingest appends and rings the workers through
Redis, an arq worker projects, the read process serves the trades and the status.

The worker's periodic sweep is pushed out of the test's reach, so the projections can only
have come through ingest's doorbell."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import fresh_pg_schema
from tests.e2e.serving import ServerProcess, free_port, stop, wait_until_answering
from tests.e2e.test_exporter_sessions import QUANTOWER_RUN, play
from tests.integration.worker_env import dedicated_redis_db

pytestmark = pytest.mark.postgres
PROJECTED_WITHIN_S = 30.0


@pytest.fixture
async def procfile_env(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """STRATLOG_* variables for the three processes: own schemas, own Redis db and queue."""
    async with AsyncExitStack() as stack:
        log_at = await stack.enter_async_context(fresh_pg_schema())
        projections_at = await stack.enter_async_context(fresh_pg_schema())
        redis_url = await stack.enter_async_context(dedicated_redis_db())
        yield {
            "STRATLOG_DATA_DIR": str(tmp_path / "data"),
            "STRATLOG_LOG_URL": log_at.url,
            "STRATLOG_LOG_PG_SCHEMA": str(log_at.pg_schema),
            "STRATLOG_PROJECTION_URL": projections_at.url,
            "STRATLOG_PROJECTION_PG_SCHEMA": str(projections_at.pg_schema),
            "STRATLOG_REDIS_URL": redis_url,
            "STRATLOG_QUEUE_NAME": f"stratlog:test:{tmp_path.name}",
            "STRATLOG_SWEEP_INTERVAL_SECONDS": "3600",
        }


@contextmanager
def process(
    name: str, command: list[str], env: Mapping[str, str], logs: Path, port: int = 0
) -> Iterator[ServerProcess]:
    """A Procfile line as a real process until the block exits (ready once it answers)."""
    stdout, stderr = logs / f"{name}.out", logs / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **env})
    server = ServerProcess(child, port, stdout, stderr)
    try:
        if port:
            wait_until_answering(server, name)
        yield server
    finally:
        stop(server)


def _uvicorn(app: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]


async def _projected(read: httpx.AsyncClient) -> dict[str, Any]:
    """The status once the run's trades are served (fails after PROJECTED_WITHIN_S)."""
    deadline = time.monotonic() + PROJECTED_WITHIN_S
    while time.monotonic() < deadline:
        status: dict[str, Any] = (await read.get("/api/status")).json()
        trades = (await read.get(f"/api/runs/{QUANTOWER_RUN}/trades")).json()
        if status["totals"]["lag_events"] == 0 and trades.get("items"):
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"not projected within {PROJECTED_WITHIN_S}s: {status}")


async def test_the_procfile_processes_turn_a_recorded_session_into_trades(
    procfile_env: dict[str, str], tmp_path: Path
) -> None:
    ingest_port, read_port = free_port(), free_port()
    worker = [str(Path(sys.executable).with_name("arq")), "projector.worker.WorkerSettings"]
    with (
        process(
            "ingest",
            _uvicorn("ingest_api.app:app", ingest_port),
            procfile_env,
            tmp_path,
            ingest_port,
        ) as ingest,
        process("projector", worker, procfile_env, tmp_path) as projector,
        process(
            "read", _uvicorn("read_api.app:app", read_port), procfile_env, tmp_path, read_port
        ) as read,
    ):
        async with httpx.AsyncClient(base_url=ingest.url, timeout=10) as client:
            await play(client, "quantower")
        async with httpx.AsyncClient(base_url=read.url, timeout=10) as client:
            status = await _projected(client)
            trades = (await client.get(f"/api/runs/{QUANTOWER_RUN}/trades")).json()["items"]
        assert projector.process.poll() is None, projector.output()

    assert status["doorbell"]["rung"] > 0  # woken by ingest through Redis, not by a sweep
    assert status["halted"] == []
    assert [(t["side"], t["quantity"], t["entry_price"], t["exit_price"]) for t in trades] == [
        ("LONG", 2.0, 5701.875, 5706.0),  # two partial fills in, the limit sell out
        ("SHORT", 1.0, 5703.0, 5701.0),
    ]
    assert [t["pnl_net"] for t in trades] == pytest.approx([3.25, 0.75])
