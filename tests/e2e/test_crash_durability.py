"""Acknowledged means durable (DESIGN §3.1), with a real crash: `kill -9` during a load.

A few concurrent clients post canonical batches; every batch the server answered with a 2xx
is recorded with the ids and positions it reported. The server is killed mid-load, started
again on the same data directory, and the log file is read directly with sqlite3: every
acknowledged event must be there at its acknowledged position. Retrying every batch after
the restart must then append nothing twice.
"""

import asyncio
import os
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.serving import ServerProcess, admin_headers, free_port, stratlog_serve

CLIENTS = 4
BATCH = 50
MAX_BATCHES_PER_CLIENT = 400  # bounds the load even if the kill never came
KILL_AFTER_ACKS = 40  # batches acknowledged before the kill, so it lands mid-load
KILL_DEADLINE_S = 30.0
START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)

Batch = list[dict[str, Any]]


def bar(client: int, seq: int) -> dict[str, Any]:
    price = 5700.0 + seq % 100 * 0.25
    return {
        "type": "bar.closed",
        "run_id": f"crash-run-{client}",
        "symbol": "ESM5",
        "timeframe": "1m",
        "ts_utc": (START + timedelta(minutes=seq)).isoformat().replace("+00:00", "Z"),
        "open": price,
        "high": price + 1.0,
        "low": price - 1.0,
        "close": price + 0.5,
    }


def batches_of(client: int) -> list[Batch]:
    return [
        [bar(client, n * BATCH + i) for i in range(BATCH)] for n in range(MAX_BATCHES_PER_CLIENT)
    ]


async def load_until_killed(
    server: ServerProcess,
    server_data_dir: Path,
    plans: list[list[Batch]],
    acknowledged: dict[str, int],
) -> int:
    """Post the plans concurrently, kill -9 the server mid-load; the number of batches acked."""
    acked_batches = 0

    async def client(plan: list[Batch]) -> None:
        nonlocal acked_batches
        headers = admin_headers(server_data_dir)
        async with httpx.AsyncClient(base_url=server.url, timeout=10, headers=headers) as http:
            for batch in plan:
                try:
                    response = await http.post("/api/v1/events", json=batch)
                except httpx.TransportError:
                    return  # the server is gone: this batch was never acknowledged
                assert response.status_code == 200, response.text
                for item in response.json()["items"]:
                    assert item["status"] == "accepted", item
                    acknowledged[item["event_id"]] = item["position"]
                acked_batches += 1

    clients = [asyncio.create_task(client(plan)) for plan in plans]
    deadline = time.monotonic() + KILL_DEADLINE_S
    while acked_batches < KILL_AFTER_ACKS and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    await asyncio.gather(*clients)
    return acked_batches


def stored_positions(log_file: Path) -> dict[str, int]:
    connection = sqlite3.connect(log_file)
    try:
        return dict(connection.execute("SELECT event_id, position FROM ingest_events").fetchall())
    finally:
        connection.close()


@pytest.mark.slow
async def test_every_acknowledged_event_survives_kill_9_mid_load(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    args = ("--data-dir", str(data_dir), "--log-level", "warning")
    plans = [batches_of(client) for client in range(CLIENTS)]
    acknowledged: dict[str, int] = {}

    port = free_port()
    with stratlog_serve(*args, "--port", str(port), port=port, logs=tmp_path) as server:
        acked_batches = await load_until_killed(server, data_dir, plans, acknowledged)
    assert acked_batches >= KILL_AFTER_ACKS, "the server was killed before the load ran"
    assert acked_batches < CLIENTS * MAX_BATCHES_PER_CLIENT, "the kill came after the load"

    port = free_port()
    with stratlog_serve(*args, "--port", str(port), port=port, logs=tmp_path) as server:
        stored = stored_positions(data_dir / "log.sqlite3")
        missing = {i: p for i, p in acknowledged.items() if stored.get(i) != p}
        assert not missing, f"{len(missing)} acknowledged events lost or moved after kill -9"

        # Each client sent at most one batch beyond those acknowledged (all acks counted
        # together bound each client's); retrying that many covers everything sent.
        retried = [plan[: acked_batches + 1] for plan in plans]
        headers = admin_headers(data_dir)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=headers) as http:
            for batch in (batch for plan in retried for batch in plan):
                response = await http.post("/api/v1/events", json=batch)
                assert response.status_code == 200, response.text
        after_retry = stored_positions(data_dir / "log.sqlite3")

    # Retries append what the crash lost, never a second copy of what survived.
    assert {i: after_retry[i] for i in stored} == stored
    assert len(after_retry) == sum(len(batch) for plan in retried for batch in plan)
