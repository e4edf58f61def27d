"""Read latency: p50/p99 of the read API's answers on a run of 100k executions and 500k bars.

The data set (bench/read_dataset.py) is built from generated sessions and the projector's
runner on SQLite files, in `--data-dir` (kept and reused by later runs) or a temporary
directory. A real `uvicorn read_api.app:app` child process serves it; one httpx client asks
each question of bench/read_questions.py `--requests` times in a row over a keep-alive
connection, after a warm-up. In the same repetition, just before, the baseline asks the
same question as raw SQL (stdlib sqlite3, one connection) on the projection file. Each
repetition yields a p50 and a p99 per question; the figures are their median over
`--repetitions` with min and max, and the API/SQL ratio. The first question, a route that
opens no database (`/docs`), is the floor of HTTP, routing and the client.

The suite (`python -m bench`) runs `measure` on the questions of issue 8; run alone, this
module asks every question and writes a JSON record to bench/results/, for experiments:

    .venv/bin/python -m bench.read_latency --data-dir /tmp/stratlog-read [--app MODULE:ATTR]
    .venv/bin/python -m bench.read_latency --quick                         # < 1 min

`--app MODULE:ATTR` serves another ASGI app on the same data set (a variant to compare).
"""

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
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
from bench.server import Api, child_server, free_port, provision_admin_key
from bench.stats import Figure, Spread, percentile

APP = "read_api.app:app"  # the Procfile's read process
SQL_BASELINE = "the same question as raw SQL (stdlib sqlite3, one connection)"


@dataclass(frozen=True, slots=True)
class Row:
    """A question's figures: API and baseline p50 and p99."""

    question: Question
    api_p50: Spread
    api_p99: Spread
    sql_p50: Spread | None
    sql_p99: Spread | None

    def figures(self) -> list[Figure]:
        """The p50 and p99 figures, each beside its SQL baseline (none for the floor)."""
        if self.sql_p50 is None or self.sql_p99 is None:
            return []
        name, items = self.question.name, self.question.items
        note = f"`{self.question.label}`" + (f", {items:,} items" if items else "")
        return [
            Figure(f"{name}, p50", "ms", self.api_p50, f"{SQL_BASELINE}, p50", self.sql_p50, note),
            Figure(f"{name}, p99", "ms", self.api_p99, f"{SQL_BASELINE}, p99", self.sql_p99, note),
        ]

    def record(self) -> dict[str, Any]:
        figures = {
            k: asdict(v) if v else None
            for k, v in (
                ("api_p50_ms", self.api_p50),
                ("api_p99_ms", self.api_p99),
                ("sql_p50_ms", self.sql_p50),
                ("sql_p99_ms", self.sql_p99),
            )
        }
        ratio = self.api_p50.median / self.sql_p50.median if self.sql_p50 else None
        return {
            "question": self.question.name,
            "request": self.question.label,
            "items": self.question.items,
            **figures,
            "api_over_sql_p50": ratio,
        }


def main(argv: list[str] | None = None) -> None:
    """Build or reuse the data set, ask every question, print and record."""
    args = _parse(argv)
    repetitions = args.repetitions or (1 if args.quick else 3)
    requests = args.requests or (20 if args.quick else 200)
    warmup = args.warmup if args.warmup is not None else (3 if args.quick else 20)
    with _data_dir(args.data_dir) as directory:
        dataset = ensure(directory, QUICK if args.quick else FULL)
        rows = measure(dataset, repetitions, requests, warmup, app=args.app)
    record = {
        "bench": "read_latency",
        "machine": report.machine("bench.read_latency"),
        "dataset": {
            "shape": asdict(dataset.shape),
            "events": dataset.events,
            "main_run": dataset.counts,
        },
        "app": args.app,
        "repetitions": repetitions,
        "requests": requests,
        "warmup": warmup,
        "rows": [row.record() for row in rows],
    }
    for row in rows:
        sql = row.sql_p50.text(2) if row.sql_p50 else "-"
        print(
            f"{row.question.name:<32} API p50 {row.api_p50.text(2)} p99 "
            f"{row.api_p99.text(2)}  SQL p50 {sql}"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report.write_json(args.results / f"read_latency-{stamp}.json", record)


def measure(
    dataset: Dataset,
    repetitions: int,
    requests: int,
    warmup: int,
    *,
    app: str = APP,
    only: Collection[str] | None = None,
    say: Callable[[str], None] = print,
) -> list[Row]:
    """Each question (those named in `only`, or all) asked `requests` times per repetition
    through a read process serving `dataset`, beside its SQL baseline."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    env = {"STRATLOG_DATA_DIR": str(dataset.directory)}
    asyncio.run(provision_admin_key(env, dataset.directory))
    uri = f"file:{dataset.projections}?mode=ro"
    with (
        tempfile.TemporaryDirectory() as scratch,
        child_server(command, port, Path(scratch) / "read.stderr", env),
        httpx.Client(
            base_url=Api.of(port, dataset.directory).base_url,
            timeout=60,
            headers=dict(Api.of(port, dataset.directory).headers),
        ) as client,
        closing(sqlite3.connect(uri, uri=True)) as connection,
    ):
        asked = [q for q in questions(dataset, client) if only is None or q.name in only]
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
            say(
                f"read #{repetition + 1}: {len(asked)} questions x {requests} requests in "
                f"{time.perf_counter() - started:.1f}s"
            )
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
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
