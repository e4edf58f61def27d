"""Read latency: p50/p99 of the read API's answers on a run of 100k executions and 500k bars.

The data set (bench/read_dataset.py) is built through the ingest path and the projector's
runner on SQLite files, in `--data-dir` (kept and reused by later runs) or a temporary
directory. A real `uvicorn read_api.app:app` child process serves it; one httpx client asks
each question of bench/read_questions.py `--requests` times in a row over a keep-alive
connection, after a warm-up. In the same repetition, just before, the baseline asks the
same question as raw SQL (stdlib sqlite3, one connection) on the projection file. Each
repetition yields a p50 and a p99 per question; the table gives their median over
`--repetitions` with min and max, and the API/SQL ratio. The first row, a route that opens
no database (`/docs`), is the floor of HTTP, routing and the client.

    .venv/bin/python -m bench.read_latency --data-dir /tmp/stratlog-read   # full, writes docs
    .venv/bin/python -m bench.read_latency --quick                         # < 1 min, no docs

`--app MODULE:ATTR` serves another ASGI app on the same data set (a variant to compare).
"""

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import report
from bench.read_dataset import FULL, QUICK, Dataset, ensure
from bench.read_questions import Question, check, questions
from bench.server import child_server, free_port
from bench.stats import percentile

TARGET_P99_MS = 50.0  # issue 8
APP = "read_api.app:app"  # the Procfile's read process


@dataclass(frozen=True, slots=True)
class Spread:
    """One figure over the repetitions: median, min, max (milliseconds)."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        return cls(statistics.median(values), min(values), max(values))

    def text(self) -> str:
        return f"{self.median:.2f} [{self.low:.2f} - {self.high:.2f}]"


@dataclass(frozen=True, slots=True)
class Row:
    """A question's figures: API and baseline p50 and p99."""

    question: Question
    api_p50: Spread
    api_p99: Spread
    sql_p50: Spread | None
    sql_p99: Spread | None

    @property
    def ratio(self) -> float | None:
        return self.api_p50.median / self.sql_p50.median if self.sql_p50 else None

    def record(self) -> dict[str, Any]:
        figures = {k: asdict(v) if v else None for k, v in (("api_p50_ms", self.api_p50),
                   ("api_p99_ms", self.api_p99), ("sql_p50_ms", self.sql_p50),
                   ("sql_p99_ms", self.sql_p99))}  # fmt: skip
        within = self.api_p99.median <= TARGET_P99_MS
        return {"question": self.question.name, "request": self.question.label,
                "items": self.question.items, **figures, "api_over_sql_p50": self.ratio,
                "p99_within_target": within}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Build or reuse the data set, measure, print, and record (see the module docstring)."""
    args = _parse(argv)
    repetitions = args.repetitions or (1 if args.quick else 3)
    requests = args.requests or (20 if args.quick else 200)
    warmup = args.warmup if args.warmup is not None else (3 if args.quick else 20)
    with _data_dir(args.data_dir) as directory:
        dataset = ensure(directory, QUICK if args.quick else FULL)
        load_before = os.getloadavg()[0]
        rows = _measure(dataset, args.app, (repetitions, requests, warmup))
    info = report.machine("bench.read_latency")
    info["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0]}
    setup = {"app": args.app, "repetitions": repetitions, "requests": requests, "warmup": warmup}
    markdown = _markdown(rows, info, dataset, setup)
    print(markdown)
    record = {"bench": "read_latency", "machine": info, "target_p99_ms": TARGET_P99_MS,
              "dataset": {"shape": asdict(dataset.shape), "events": dataset.events,
                          "main_run": dataset.counts}, **setup,
              "rows": [row.record() for row in rows]}  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report.write_json(args.results / f"read_latency-{stamp}.json", record)
    if args.docs if args.docs is not None else not args.quick:
        report.write_json(report.REPO_ROOT / "docs" / "benchmarks" / "read_latency.json", record)
        report.replace_doc_section("read_latency", markdown)
        print(f"wrote {report.DOC.relative_to(report.REPO_ROOT)}")


def _measure(dataset: Dataset, app: str, counts: tuple[int, int, int]) -> list[Row]:
    repetitions, requests, warmup = counts
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    env = {"STRATLOG_DATA_DIR": str(dataset.directory)}
    uri = f"file:{dataset.projections}?mode=ro"
    with (
        tempfile.TemporaryDirectory() as scratch,
        child_server(command, port, Path(scratch) / "read.stderr", env),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
        closing(sqlite3.connect(uri, uri=True)) as connection,
    ):
        asked = questions(dataset, client)
        for question in asked:  # page cache, first-request imports, statement caches
            for _ in range(warmup):
                sql_rows = question.ask_sql(connection)
                check(question, question.ask(client), sql_rows)
        api: dict[str, list[tuple[float, float]]] = {q.name: [] for q in asked}
        sql: dict[str, list[tuple[float, float]]] = {q.name: [] for q in asked}
        for repetition in range(repetitions):
            started = time.perf_counter()
            for question in asked:
                if question.sql:
                    sql[question.name].append(
                        _pass(partial(question.ask_sql, connection), requests)
                    )
                api[question.name].append(_pass(partial(_answer, question, client), requests))
            print(f"repetition {repetition + 1}/{repetitions}: "
                  f"{time.perf_counter() - started:.1f}s", flush=True)  # fmt: skip
    return [_row(question, api[question.name], sql[question.name]) for question in asked]


def _answer(question: Question, client: httpx.Client) -> None:
    response = question.ask(client)
    if response.status_code != 200:
        raise AssertionError(f"{question.label}: {response.status_code}")


def _pass(action: Callable[[], object], count: int) -> tuple[float, float]:
    """(p50, p99) in milliseconds of `count` calls of `action`, one after another."""
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        latencies.append(time.perf_counter() - started)
    return percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000


def _row(question: Question, api: list[tuple[float, float]], sql: list[tuple[float, float]]) -> Row:
    def spreads(passes: list[tuple[float, float]]) -> tuple[Spread | None, Spread | None]:
        if not passes:
            return None, None
        return Spread.of([p50 for p50, _ in passes]), Spread.of([p99 for _, p99 in passes])

    api_p50, api_p99 = spreads(api)
    assert api_p50 is not None
    assert api_p99 is not None
    return Row(question, api_p50, api_p99, *spreads(sql))


def _markdown(
    rows: list[Row], info: dict[str, Any], dataset: Dataset, setup: dict[str, Any]
) -> str:
    shape, counts, load = dataset.shape, dataset.counts, info["load_average_1m"]
    lines = [
        "## Read latency (`bench/read_latency.py`)",
        "",
        report.machine_lines(info),
        f"- Load average (1 min) before / after the measurement: {load['before']:.1f} / "
        f"{load['after']:.1f}",
        f"- Data set: a log of {dataset.events:,} events through the ingest path, projected by "
        f"the runner (SQLite files). Main run: {counts['executions']:,} executions, "
        f"{counts['orders']:,} orders, {counts['trades']:,} trades, {counts['bars']:,} "
        f"one-minute bars (2 symbols), {counts['equity_points']:,} equity points; 4 more runs "
        f"of {shape.peer_fills:,} executions and {shape.peer_bars:,} bars for the compare.",
        f"- Server: `uvicorn {setup['app']}` (one process, `--log-level warning`). Client: "
        "httpx, one keep-alive connection, sequential requests, same machine.",
        f"- Each figure: p50 / p99 of {setup['requests']} sequential requests, median of "
        f"{setup['repetitions']} repetitions [min - max], in ms, after {setup['warmup']} "
        "warm-up requests per question.",
        "- Baseline (SQL): the same question as raw SQL with stdlib sqlite3 on the projection "
        "file, one connection, rows fetched as tuples, in the same repetition.",
        "",
        "| question | request | API p50 | API p99 | SQL p50 | SQL p99 | API / SQL p50 "
        f"| p99 ≤ {TARGET_P99_MS:.0f} ms |",
        "|---|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for row in rows:
        sql50, sql99 = (s.text() if s else "-" for s in (row.sql_p50, row.sql_p99))
        ratio = f"{row.ratio:.1f}" if row.ratio else "-"
        within = "yes" if row.api_p99.median <= TARGET_P99_MS else "**no**"
        api50, api99 = row.api_p50.text(), row.api_p99.text()
        lines.append(f"| {row.question.name} | `{row.question.label}` | {api50} | {api99} "
                     f"| {sql50} | {sql99} | {ratio} | {within} |")  # fmt: skip
    return "\n".join(lines) + "\n"


@contextmanager
def _data_dir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="stratlog-read-") as directory:
        yield Path(directory)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small data set, 1 repetition")
    parser.add_argument("--data-dir", type=Path, help="build the data set here, or reuse it")
    parser.add_argument("--repetitions", type=int, help="passes per question (default 3)")
    parser.add_argument("--requests", type=int, help="requests per pass (default 200, quick 20)")
    parser.add_argument(
        "--app", default=APP, help=f"the ASGI app uvicorn serves (default {APP}; for variants)"
    )
    parser.add_argument("--warmup", type=int, help="requests before measuring (default 20)")
    parser.add_argument(
        "--results",
        type=Path,
        default=report.REPO_ROOT / "bench" / "results",
        help="directory of the JSON record of every run",
    )
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        help="write docs/benchmarks.md (default: on for full runs, off with --quick)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
