"""The benchmark suite's quick run, as a user runs it (`python -m bench --quick`): a child
process that measures every section against its baseline and records it. Not a timed
assertion: it checks that the suite works end to end (servers, workers, PostgreSQL, Redis,
the read data set) and that its record holds every section with numbers, and leaves the
documented results alone.
"""

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.read_dataset import QUICK, ensure
from bench.suite import SECTIONS

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "benchmarks.md", REPO / "docs" / "benchmarks" / "suite.json")


def _documented() -> list[bytes | None]:
    return [path.read_bytes() if path.exists() else None for path in DOCS]


def _numbers(spread: dict[str, Any]) -> list[float]:
    return [spread["median"], spread["min"], spread["max"]]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_quick_suite_records_every_section_beside_its_baselines(tmp_path: Path) -> None:
    documented = _documented()
    command = [sys.executable, "-m", "bench", "--quick", "--results", str(tmp_path)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=280)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [record_file] = tmp_path.glob("suite-*.json")
    record = json.loads(record_file.read_text())
    assert record["profile"] == "quick"
    assert set(record["sections"]) == set(SECTIONS)
    for name, section in record["sections"].items():
        assert section["figures"], name
        for figure in section["figures"]:
            values = _numbers(figure["value"]) + _numbers(figure["baseline"])
            assert all(math.isfinite(v) and v >= 0 for v in values), figure
            assert figure["value"]["min"] <= figure["value"]["median"] <= figure["value"]["max"]
            assert figure["baseline"]["name"], figure
            assert math.isfinite(figure["ratio"]), figure
    names = [f["name"] for s in record["sections"].values() for f in s["figures"]]
    for expected in ("batches of 1 (32 clients)", "batches of 1000", "append latency p99",
                     "peak RSS", "PostgreSQL", "SQLite", "embedded", "Procfile",
                     "run summary", "compare 5 runs"):  # fmt: skip
        assert any(expected in name for name in names), expected
    assert record["machine"]["command"].endswith(f"-m bench --quick --results {tmp_path}")
    assert "## Suite" in done.stdout
    assert _documented() == documented


def test_a_directory_holding_another_data_set_is_refused(tmp_path: Path) -> None:
    (tmp_path / "log.sqlite3").write_bytes(b"")

    with pytest.raises(SystemExit, match="holds another or a partial data set"):
        ensure(tmp_path, QUICK)

    assert not (tmp_path / "projections.sqlite3").exists()
