"""`stratlog serve`, the embedded default, as a user runs it: a real process on a real port,
its stores in the data directory it is given."""

import re
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from stratlog.demo import SIMULATION_RUNS
from stratlog.samples import SESSION_NAMES, load_session
from tests.e2e.serving import STRATLOG, admin_headers, free_port, stratlog_serve


def items_in(body: Any) -> int:
    """How many events a recorded call carries: a batch is a list, anything else is one."""
    return len(body) if isinstance(body, list) else 1


def accepted_in(answer: dict[str, Any]) -> int:
    """Events a response reports as appended now (batch report, single item, run start/stop)."""
    if "items" in answer:
        return int(answer["accepted"])
    if "duplicate" in answer:
        return 0 if answer["duplicate"] else 1
    return 1 if answer["status"] == "accepted" else 0


def log_rows(data_dir: Path) -> int:
    connection = sqlite3.connect(data_dir / "log.sqlite3")
    try:
        return int(connection.execute("SELECT count(*) FROM ingest_events").fetchone()[0])
    finally:
        connection.close()


def test_serve_creates_its_data_dir_and_appends_a_recorded_session(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-yet" / "data"
    calls = load_session("quantower")
    port = free_port()
    with (
        stratlog_serve(
            "--data-dir", str(data_dir), "--port", str(port), port=port, logs=tmp_path
        ) as server,
        httpx.Client(base_url=server.url, timeout=30, headers=admin_headers(data_dir)) as client,
    ):
        answers = []
        for call in calls:
            response = client.request(
                call.method, call.path, json=call.body, headers=dict(call.headers)
            )
            assert response.is_success, f"{call.path}: {response.status_code} {response.text}"
            answers.append(response.json())

    sent = sum(items_in(call.body) for call in calls)
    assert sum(accepted_in(answer) for answer in answers) == sent
    assert (data_dir / "log.sqlite3").is_file()
    assert log_rows(data_dir) == sent


def test_serve_takes_data_dir_and_port_from_the_environment(tmp_path: Path) -> None:
    data_dir = tmp_path / "from-env"
    port = free_port()
    env = {"STRATLOG_DATA_DIR": str(data_dir), "STRATLOG_PORT": str(port)}
    bar = {
        "type": "bar.closed",
        "run_id": "env-run",
        "symbol": "ESM5",
        "timeframe": "1m",
        "ts_utc": "2025-03-03T14:30:00Z",
        "open": 1.0,
        "high": 2.0,
        "low": 0.5,
        "close": 1.5,
    }
    with stratlog_serve(port=port, logs=tmp_path, env=env) as server:
        response = httpx.post(
            f"{server.url}/api/v1/events", json=[bar], timeout=30, headers=admin_headers(data_dir)
        )

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert log_rows(data_dir) == 1


def test_serve_demo_lands_the_sessions_and_reports_the_replay_as_duplicates(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "demo"
    port = free_port()
    args = ("--data-dir", str(data_dir), "--port", str(port), "--demo")
    with stratlog_serve(*args, port=port, logs=tmp_path) as server:
        printed = wait_for_output(server.stdout, "Still serving", server.process.poll)

    recorded, generated = printed.split("generated session", 1)
    assert recorded.count("quarantined 0\n") == len(SESSION_NAMES)
    # The second pass over each session appended nothing and refused nothing.
    assert recorded.count(" 0 appended, 0 quarantined") == len(SESSION_NAMES)
    # The generated session (stratlog.simulation) landed whole, fills before orders included.
    assert re.search(r"accepted +[1-9]\d* events, quarantined 0\n", generated)
    assert generated.count("closed trade(s)") == len(SESSION_NAMES) + SIMULATION_RUNS
    assert log_rows(data_dir) > 0


def wait_for_output(
    path: Path, marker: str, exited: Callable[[], int | None], timeout_s: float = 60.0
) -> str:
    """The file's text once it contains `marker` (fails if the process exits first)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = path.read_text()
        if marker in text:
            return text
        assert exited() is None, f"stratlog serve exited:\n{text}"
        time.sleep(0.1)
    raise AssertionError(f"no {marker!r} within {timeout_s}s:\n{path.read_text()}")


def test_serve_exits_with_an_error_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(STRATLOG), "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode != 0
    assert "address already in use" in result.stderr
