"""`stratlog import` as a user runs it: the installed console script, on a data directory.

Files are imported straight into the data directory's log and reported on stdout; a second
run finds only duplicates; a run replayed to a file (`stratlog replay --out`) and imported
into another data directory has the same events there; a file that is not an import fails
the command; `--watch` takes files dropped into a folder and files them away with their
reports, and stops on SIGTERM.
"""

import gzip
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson

from tests.e2e.serving import STRATLOG
from tests.fixtures.exporter_sqlite import session_export, write_export

TIMEOUT_S = 60.0
HEARTBEATS = [
    {"type": "run.heartbeat", "run_id": "r-1", "ts_utc": f"2025-03-03T14:3{n}:00Z"}
    for n in range(3)
]


def run_import(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STRATLOG), "import", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=_environment(),
        check=False,
    )


def logged(data_dir: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "log.sqlite3") as conn:
        rows = conn.execute("SELECT event_id, payload FROM ingest_events ORDER BY position")
        events = [(str(event_id), str(payload)) for event_id, payload in rows]
    conn.close()
    return events


def test_files_are_imported_and_reported_and_a_second_run_finds_only_duplicates(
    tmp_path: Path,
) -> None:
    export = write_export(tmp_path / "session.sqlite", session_export())
    events = tmp_path / "beats.ndjson.gz"
    events.write_bytes(gzip.compress(b"\n".join(orjson.dumps(e) for e in HEARTBEATS)))
    data_dir = tmp_path / "data"

    first = run_import(export, events, "--data-dir", data_dir)
    second = run_import(export, events, "--data-dir", data_dir, "--json")

    assert first.returncode == 0, first.stderr
    assert re.search(r"session\.sqlite: completed in [\d.]+ s \(sqlite, 20,480 bytes", first.stdout)
    assert re.search(r"\n\s+Orders\s+7\s+7\s+0\s+0\n", first.stdout)
    assert re.search(r"\n\s+run\.heartbeat\s+3\s+3\s+0\s+0\n", first.stdout)
    assert second.returncode == 0, second.stderr
    reports: list[dict[str, Any]] = [orjson.loads(line) for line in second.stdout.splitlines()]
    assert [(r["source_name"], r["totals"]["duplicate"], r["totals"]["new"]) for r in reports] == [
        ("session.sqlite", 28, 0),
        ("beats.ndjson.gz", 3, 0),
    ]
    assert len(logged(data_dir)) == 35 + 3


def test_a_run_replayed_to_a_file_and_imported_elsewhere_has_the_same_events(
    tmp_path: Path,
) -> None:
    export = write_export(tmp_path / "session.sqlite", session_export())
    origin, copy, replayed = tmp_path / "origin", tmp_path / "copy", tmp_path / "run.ndjson.gz"
    imported = run_import(export, "--data-dir", origin, "--json")
    run_id = orjson.loads(imported.stdout)["run_id"]

    replay = subprocess.run(
        [str(STRATLOG), "replay", run_id, "--out", str(replayed), "--data-dir", str(origin)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=_environment(),
        check=False,
    )
    again = run_import(replayed, "--data-dir", copy, "--json")

    assert replay.returncode == 0, replay.stderr
    assert again.returncode == 0, again.stderr
    assert orjson.loads(again.stdout)["totals"]["new"] == 35
    assert logged(copy) == logged(origin)  # ids and payloads, in log order


def test_a_file_that_is_not_an_import_fails_the_command(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not events\n")

    result = run_import(notes, "--data-dir", tmp_path / "data")

    assert result.returncode == 1
    assert "notes.txt: not imported: neither an exporter .sqlite file nor NDJSON" in result.stdout


def test_watch_imports_dropped_files_and_files_them_away_with_their_reports(
    tmp_path: Path,
) -> None:
    inbox, data_dir = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    stdout, stderr = tmp_path / "watch.out", tmp_path / "watch.err"
    command = [str(STRATLOG), "import", "--watch", str(inbox), "--interval", "0.1"]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        watch = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            stdout=out,
            stderr=err,
            env=_environment(),
        )
    try:
        partial = write_export(inbox / "session.sqlite.partial", session_export())
        partial.rename(inbox / "session.sqlite")  # how a copy tool finishes a file
        (inbox / "notes.txt").write_text("not events\n")
        imported = inbox / "imported" / "session.sqlite.report.json"
        failed = inbox / "failed" / "notes.txt.report.json"
        _wait_for(imported, failed, process=watch)
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=TIMEOUT_S) == 0, stderr.read_text()
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()

    report = orjson.loads(imported.read_bytes())
    assert (report["status"], report["via"], report["totals"]["new"]) == ("completed", "watch", 28)
    assert (inbox / "imported" / "session.sqlite").exists()
    assert orjson.loads(failed.read_bytes())["status"] == "failed"
    assert (inbox / "failed" / "notes.txt").exists()
    assert sorted(path.name for path in inbox.iterdir()) == ["failed", "imported"]
    assert "stopped watching" in stderr.read_text()
    assert "session.sqlite: completed" in stdout.read_text()
    assert len(logged(data_dir)) == 35


def _wait_for(*paths: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not all(path.exists() for path in paths):
        assert process.poll() is None, "the watch stopped by itself"
        assert time.monotonic() < deadline, f"not there after {TIMEOUT_S} s: {paths}"
        time.sleep(0.05)


def _environment() -> dict[str, str]:
    """This environment without STRATLOG_* settings: the data directory is the store."""
    return {name: value for name, value in os.environ.items() if not name.startswith("STRATLOG_")}
