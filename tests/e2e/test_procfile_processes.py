"""The Procfile's three processes, as real processes on PostgreSQL and Redis, turn an
exporter's recorded session into projections: ingest appends and rings the workers through
Redis, an arq worker projects, the read process serves the trades and the status.

The worker's periodic sweep is pushed out of the test's reach, so the projections can only
have come through ingest's doorbell."""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.procfile import running_procfile
from tests.e2e.test_exporter_sessions import QUANTOWER_RUN, play

pytestmark = pytest.mark.postgres
PROJECTED_WITHIN_S = 30.0


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
    tmp_path: Path,
) -> None:
    async with running_procfile(tmp_path) as procfile:
        headers = procfile.headers
        async with httpx.AsyncClient(
            base_url=procfile.ingest.url, timeout=10, headers=headers
        ) as client:
            await play(client, "quantower")
        async with httpx.AsyncClient(
            base_url=procfile.read.url, timeout=10, headers=headers
        ) as client:
            status = await _projected(client)
            trades = (await client.get(f"/api/runs/{QUANTOWER_RUN}/trades")).json()["items"]
        assert procfile.projector.process.poll() is None, procfile.projector.output()

    assert status["doorbell"]["rung"] > 0  # woken by ingest through Redis, not by a sweep
    assert status["halted"] == []
    assert [(t["side"], t["quantity"], t["entry_price"], t["exit_price"]) for t in trades] == [
        ("LONG", 2.0, 5701.875, 5706.0),  # two partial fills in, the limit sell out
        ("SHORT", 1.0, 5703.0, 5701.0),
    ]
    assert [t["pnl_net"] for t in trades] == pytest.approx([3.25, 0.75])
