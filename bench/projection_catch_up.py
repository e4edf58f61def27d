"""Projection catch-up throughput of one in-process runner on a prefilled SQLite log.

    .venv/bin/python -m bench.projection_catch_up [--events 200000] [--repetitions 3]

The log holds `bar.closed` events spread over 8 runs (bench.prefill). In the same run and on
the same file, the baseline is the raw loop DESIGN §9.1 describes: read a page of the log,
parse each payload, upsert the page into a bars-shaped table and write a checkpoint, with
the stdlib sqlite3 module. The product figure is `Runner.discover()` + `catch_up()` of every
partition into a fresh projection store (validation, pure projections, batched upserts,
compare-and-set checkpoints; bars carry no trades, so analytics do no work). Prints the
median events/s of each with min and max, and the ratio.
"""

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from bench.prefill import create_log
from projector.log_feed import LogFeed
from projector.runner import Runner
from projector.store import ProjectionStore
from schema.storage import make_engine

_PAGE = 1000


def raw_loop(log: Path, projections: Path) -> float:
    """Seconds for the raw read/parse/upsert/checkpoint loop over the whole log."""
    source = sqlite3.connect(log)
    target = sqlite3.connect(projections, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=FULL")
    target.execute(
        "CREATE TABLE bars (run_id TEXT, ts TEXT, open REAL, high REAL, low REAL, close REAL,"
        " volume REAL, PRIMARY KEY (run_id, ts))"
    )
    target.execute("CREATE TABLE checkpoints (partition TEXT PRIMARY KEY, position INTEGER)")
    started, position = time.perf_counter(), 0
    while True:
        page = source.execute(
            "SELECT position, payload FROM ingest_events WHERE position > ? ORDER BY position"
            " LIMIT ?",
            (position, _PAGE),
        ).fetchall()
        if not page:
            break
        rows = []
        for _, payload in page:
            bar = orjson.loads(payload)
            rows.append((bar["run_id"], bar["ts_utc"], bar["open"], bar["high"], bar["low"],
                         bar["close"], bar.get("volume")))  # fmt: skip
        position = page[-1][0]
        target.execute("BEGIN")
        target.executemany("INSERT OR REPLACE INTO bars VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        target.execute("INSERT OR REPLACE INTO checkpoints VALUES ('all', ?)", (position,))
        target.execute("COMMIT")
    seconds = time.perf_counter() - started
    source.close()
    target.close()
    return seconds


async def product(log: Path, projections: Path) -> float:
    """Seconds for the projector runner to catch every partition up from position 0."""
    store = await ProjectionStore.open(f"sqlite+aiosqlite:///{projections}")
    engine = make_engine(f"sqlite+aiosqlite:///{log}", role="reader")
    runner = Runner(LogFeed(engine), store, batch_size=_PAGE)
    started = time.perf_counter()
    for partition in await runner.discover():
        await runner.catch_up(partition)
    seconds = time.perf_counter() - started
    await engine.dispose()
    await store.close()
    return seconds


def _summary(events: int, seconds: list[float]) -> tuple[float, float, float]:
    rates = sorted(events / s for s in seconds)
    return statistics.median(rates), rates[0], rates[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        log = root / "log.sqlite3"
        create_log(log, args.events)
        raw, ours = [], []
        for repetition in range(args.repetitions):
            raw.append(raw_loop(log, root / f"raw-{repetition}.sqlite3"))
            ours.append(asyncio.run(product(log, root / f"projections-{repetition}.sqlite3")))
    baseline, product_rate = _summary(args.events, raw), _summary(args.events, ours)
    print(f"events: {args.events}, repetitions: {args.repetitions} (median, min, max)")
    print("raw loop     {:>9,.0f} ev/s  ({:,.0f} .. {:,.0f})".format(*baseline))
    print("runner       {:>9,.0f} ev/s  ({:,.0f} .. {:,.0f})".format(*product_rate))
    print(f"ratio        {product_rate[0] / baseline[0]:.2f}")


if __name__ == "__main__":
    main()
