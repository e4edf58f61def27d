"""`stratlog replay` between two real stratlogs: instance A serves the recorded exporter
sessions (`stratlog serve --demo`), each run is replayed into instance B over HTTP with the
installed console script, and B's projections end up equal to A's, table by table
(`replay.fingerprint`); replaying again appends nothing to B's log and changes nothing."""

import asyncio
import re
import subprocess
import time
from pathlib import Path

import httpx

from replay.fingerprint import Fingerprint, differences, fingerprint_store
from schema.settings import StoreSettings
from stratlog.demo import SIMULATION_RUNS
from stratlog.samples import SESSION_NAMES
from tests.credentials import new_key
from tests.e2e.serving import STRATLOG, ServerProcess, admin_headers, free_port, stratlog_serve
from tests.e2e.test_exporter_sessions import QUANTOWER_RUN

DEMO_DONE = "Still serving on"
SETTLE_WITHIN_S = 30.0


def replay(runs: list[str], to: str, data_dir: Path, key: str) -> list[str]:
    """Run `stratlog replay RUN --to TO --api-key KEY` for each run at once; their summaries
    (stderr)."""
    command = [str(STRATLOG), "replay", "--to", to, "--data-dir", str(data_dir), "--api-key", key]
    processes = [
        subprocess.Popen(
            [*command, run],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run in runs
    ]
    summaries = []
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        summaries.append(stderr)
    return summaries


def new_there(summary: str) -> int:
    """The count of events the target stored anew, from the replay's summary line."""
    return int(summary.split("; ")[-1].split(" new there")[0])


def demo_finished(server: ServerProcess) -> None:
    deadline = time.monotonic() + SETTLE_WITHIN_S
    while DEMO_DONE not in server.stdout.read_text():
        assert server.process.poll() is None, server.output()
        assert time.monotonic() < deadline, f"the demo did not finish:\n{server.output()}"
        time.sleep(0.1)


def fingerprints(data_dir: Path, run_id: str | None = None) -> Fingerprint:
    return asyncio.run(fingerprint_store(StoreSettings(data_dir=data_dir), run_id=run_id))


def wait_until_equal(a: Path, b: Path) -> None:
    """Until B's projections (analytics included) equal A's; fails with the differences."""
    deadline = time.monotonic() + SETTLE_WITHIN_S
    while (diff := differences(fingerprints(a), fingerprints(b))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert diff == [], f"B's projections differ from A's: {diff}"


def test_runs_replayed_into_another_stratlog_project_to_the_same_tables_and_again_to_no_change(
    tmp_path: Path,
) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_port, b_port = free_port(), free_port()
    with (
        stratlog_serve(
            "--demo", "--data-dir", str(a_dir), "--port", str(a_port), port=a_port, logs=tmp_path
        ) as a,
        stratlog_serve(
            "--data-dir", str(b_dir), "--port", str(b_port), port=b_port, logs=tmp_path
        ) as b,
    ):
        demo_finished(a)
        a_headers, b_headers = admin_headers(a_dir), admin_headers(b_dir)
        b_key = asyncio.run(new_key(StoreSettings(data_dir=b_dir), "ingest"))
        status = httpx.get(f"{a.url}/api/status", headers=a_headers).json()
        runs = sorted(p["partition"] for p in status["partitions"] if p["partition"] != "catalog")
        assert len(runs) == len(SESSION_NAMES) + SIMULATION_RUNS, runs  # recorded, generated
        assert QUANTOWER_RUN in runs

        first = replay(runs, b.url, a_dir, b_key)  # both at once: B takes concurrent replays
        wait_until_equal(a_dir, b_dir)
        head = httpx.get(f"{b.url}/api/status", headers=b_headers).json()["log_head_position"]
        [again] = replay([QUANTOWER_RUN], b.url, a_dir, b_key)
        time.sleep(0.5)  # time enough for a projector woken by the replay to act
        head_again = httpx.get(f"{b.url}/api/status", headers=b_headers).json()["log_head_position"]

        for run in runs:
            assert differences(fingerprints(a_dir, run), fingerprints(b_dir, run)) == []
        assert differences(fingerprints(a_dir), fingerprints(b_dir)) == []

    assert head == status["log_head_position"]  # every event of A went over, once
    assert head_again == head
    assert sum(new_there(summary) for summary in first) == head
    assert new_there(again) == 0
    assert re.search(r" 0 new there, [1-9]\d* already there", again)
