"""First ingest measurement: events/s through HTTP beside raw SQLite appends, in one run.

For batches of 1, 100 and 1000 events it measures, on logs that already hold `--prefill`
events (1M by default, DESIGN §9.1): (a) the baseline, stdlib sqlite3 appending into the
product's `ingest_events` table, one transaction per batch, WAL + synchronous=FULL; (b) a real
`stratlog serve` child process taking the same events on `POST /api/v1/events`. Baseline and
HTTP passes alternate, so drift on a shared machine hits both alike. It prints the medians of
the repetitions with min/max and the HTTP/baseline ratio, writes a JSON record to
bench/results/, and (full runs) the table to docs/benchmarks.md.

    .venv/bin/python -m bench.ingest_first            # full run, ~5 minutes
    .venv/bin/python -m bench.ingest_first --quick    # under a minute, docs untouched
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report
from bench.events import BenchEvent, bar, bars, check_canonical
from bench.http_load import Batch, post_batches
from bench.prefill import copy_log, count_events, create_log
from bench.server import free_port, stratlog_server
from bench.sqlite_baseline import append_batches
from bench.stats import Sample, Summary, summarize

ENDPOINT = "/api/v1/events"
LOG_FILE = "log.sqlite3"  # the embedded default's log file in the data directory


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the table: batch size, concurrent HTTP clients, events per pass."""

    batch_size: int
    clients: int
    events: int


FULL = (Case(1, 32, 4_000), Case(100, 4, 100_000), Case(1000, 4, 200_000))
QUICK = (Case(1, 32, 1_000), Case(100, 4, 10_000), Case(1000, 4, 20_000))


@dataclass(frozen=True, slots=True)
class Row:
    case: Case
    baseline: Summary
    http: Summary

    @property
    def ratio(self) -> float:
        return self.http.median / self.baseline.median


def main(argv: list[str] | None = None) -> None:
    """Measure, print, and record the results (see the module docstring)."""
    args = _parse(argv)
    cases = QUICK if args.quick else FULL
    prefill = args.prefill if args.prefill is not None else (20_000 if args.quick else 1_000_000)
    check_canonical(bar(0, "bench-run-0"))
    workdir = Path(tempfile.mkdtemp(prefix="stratlog-bench-"))
    load_before = os.getloadavg()[0]
    try:
        rows = _measure(workdir, cases, prefill, args.repetitions)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info = report.machine("bench.ingest_first")
    # Other work on a shared 2-core machine moves every figure; say how busy it was.
    info["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0]}
    markdown = _markdown(rows, info, prefill)
    print(markdown)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "bench": "ingest_first",
        "machine": info,
        "prefill_events": prefill,
        "rows": [asdict(row) | {"ratio": row.ratio} for row in rows],
    }
    report.write_json(report.REPO_ROOT / "bench" / "results" / f"ingest_first-{stamp}.json", record)
    if args.docs if args.docs is not None else not args.quick:
        report.write_json(report.REPO_ROOT / "docs" / "benchmarks" / "ingest_first.json", record)
        report.replace_doc_section("ingest_first", markdown)
        print(f"wrote {report.DOC.relative_to(report.REPO_ROOT)}")


def _measure(workdir: Path, cases: tuple[Case, ...], prefill: int, repetitions: int) -> list[Row]:
    template = workdir / "template.sqlite3"
    print(f"prefilling a log with {prefill:,} events ...", flush=True)
    create_log(template, prefill)
    baseline_log, data_dir = workdir / "baseline.sqlite3", workdir / "data"
    copy_log(template, baseline_log)
    copy_log(template, data_dir / LOG_FILE)
    template.unlink()
    port = free_port()
    next_seq = prefill
    sent = 0
    rows: list[Row] = []
    with stratlog_server(data_dir, port, workdir / "server.stderr"):
        # Warm both paths (page cache, first-request imports) before the clock counts.
        warmup = list(bars(next_seq, 200))
        append_batches(baseline_log, warmup, 100)
        asyncio.run(post_batches("127.0.0.1", port, ENDPOINT, _batches(warmup, 100), 2))
        next_seq, sent = next_seq + len(warmup), sent + len(warmup)
        for case in cases:
            baseline: list[Sample] = []
            http: list[Sample] = []
            for repetition in range(repetitions):
                events = list(bars(next_seq, case.events))
                next_seq += case.events
                baseline.append(append_batches(baseline_log, events, case.batch_size))
                batches = _batches(events, case.batch_size)
                http.append(
                    asyncio.run(post_batches("127.0.0.1", port, ENDPOINT, batches, case.clients))
                )
                sent += case.events
                print(
                    f"batch {case.batch_size:>4} #{repetition + 1}: "
                    f"baseline {baseline[-1].rate:>9,.0f}/s  http {http[-1].rate:>9,.0f}/s",
                    flush=True,
                )
            rows.append(Row(case, summarize(baseline), summarize(http)))
    stored, _head = count_events(data_dir / LOG_FILE)
    if stored != prefill + sent:  # a figure for events lost or doubled would be worthless
        raise SystemExit(f"log holds {stored} events, expected {prefill + sent}")
    return rows


def _batches(events: list[BenchEvent], size: int) -> list[Batch]:
    """JSON arrays of `size` events, encoded before the clock starts."""
    chunks = [events[i : i + size] for i in range(0, len(events), size)]
    return [
        Batch(b"[" + b",".join(e.payload for e in chunk) + b"]", len(chunk)) for chunk in chunks
    ]


def _markdown(rows: list[Row], info: dict[str, Any], prefill: int) -> str:
    lines = [
        "## Ingest throughput, first measurement (`bench/ingest_first.py`)",
        "",
        report.machine_lines(info),
        f"- Load average (1 min) before / after the run: {info['load_average_1m']['before']:.1f}"
        f" / {info['load_average_1m']['after']:.1f}",
        f"- Log prefilled with {prefill:,} `bar.closed` events (time-ordered ids); "
        f"median of {rows[0].http.repetitions} repetitions, [min - max].",
        "- Baseline: stdlib sqlite3 into the same `ingest_events` table, WAL, synchronous=FULL, "
        "one transaction per batch, one thread. HTTP: `stratlog serve` (one process), "
        f"`POST {ENDPOINT}` with JSON arrays, N keep-alive clients in one asyncio process on "
        "the same machine.",
        "",
        "| batch | HTTP clients | events/pass | baseline events/s | HTTP events/s "
        "| HTTP / baseline | HTTP request p50 / p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.case.batch_size} | {row.case.clients} | {row.case.events:,} "
            f"| {_rate(row.baseline)} | {_rate(row.http)} | {row.ratio:.2f} "
            f"| {row.http.p50_ms:.1f} / {row.http.p99_ms:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _rate(summary: Summary) -> str:
    return f"{summary.median:,.0f} [{summary.low:,.0f} - {summary.high:,.0f}]"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small log and passes (<1 min)")
    parser.add_argument("--prefill", type=int, help="events in the log before measuring")
    parser.add_argument("--repetitions", type=int, default=3, help="passes per measurement")
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        help="write docs/benchmarks.md (default: on for full runs, off with --quick)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
