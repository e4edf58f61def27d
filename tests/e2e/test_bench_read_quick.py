"""The read latency benchmark's quick run, as a user runs it: a child process that builds its
data set through ingest and the projector, serves it with `uvicorn read_api.app:app`, and
writes its JSON record. Not a timed assertion: it checks the bench works and records every
question beside its SQL baseline, and that a second run reuses the data set.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.read_dataset import QUICK, ensure

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "benchmarks.md", REPO / "docs" / "benchmarks" / "read_latency.json")
QUESTIONS = {
    "HTTP floor (no database)",
    "run summary",
    "run metrics",
    "trades, first page",
    "trades, deep page (cursor)",
    "bars, first page",
    "bars, middle page (start_utc)",
    "compare 5 runs",
    "dashboard trades",
    "dashboard bars, 1,000",
    "dashboard bars, default page",
}


def _documented() -> tuple[str, str]:
    """The read latency section of docs/benchmarks.md and its JSON record (other benches'
    sections may change meanwhile)."""
    text, record = (path.read_text() if path.exists() else "" for path in DOCS)
    begin, end = "<!-- read_latency:begin -->", "<!-- read_latency:end -->"
    section = text.split(begin, 1)[-1].split(end, 1)[0] if begin in text else ""
    return section, record


@pytest.mark.slow
def test_quick_read_bench_records_every_question_and_reuses_its_data_set(tmp_path: Path) -> None:
    docs = _documented()
    data, results = tmp_path / "data", tmp_path / "results"
    command = [sys.executable, "-m", "bench.read_latency", "--quick", "--data-dir", str(data),
               "--results", str(results)]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=100)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    [record_file] = results.glob("read_latency-*.json")
    record = json.loads(record_file.read_text())
    assert record["dataset"]["main_run"]["executions"] == QUICK.fills
    assert record["dataset"]["main_run"]["bars"] == QUICK.bars
    rows = {row["question"]: row for row in record["rows"]}
    assert set(rows) == QUESTIONS
    for name, row in rows.items():
        assert 0 < row["api_p50_ms"]["median"] <= row["api_p99_ms"]["median"], name
        has_baseline = name != "HTTP floor (no database)"
        assert (row["sql_p50_ms"] is not None) == has_baseline, name
        assert (row["api_over_sql_p50"] is not None) == has_baseline, name
    assert _documented() == docs
    log_written = (data / "log.sqlite3").stat().st_mtime_ns
    assert ensure(data, QUICK).counts == record["dataset"]["main_run"]
    assert (data / "log.sqlite3").stat().st_mtime_ns == log_written


def test_a_directory_holding_another_data_set_is_refused(tmp_path: Path) -> None:
    (tmp_path / "log.sqlite3").write_bytes(b"")

    with pytest.raises(SystemExit, match="holds another or a partial data set"):
        ensure(tmp_path, QUICK)

    assert not (tmp_path / "projections.sqlite3").exists()
