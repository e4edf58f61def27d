"""The read benchmark's data set: one large run and four small ones, built as the product would.

The runs are generated sessions (stratlog.simulation) of a busy bracket strategy on two
futures, one-minute bars: the main run `shape.bars` bars (about one execution for every five
bars: entries in parts, TP/SL legs, reversals, fees), four peers `shape.peer_bars` each, all
trading at once on one market, after their strategy and instance are registered. The events
are already canonical (checked on a sample against the product's codec), so they are written
straight into a log file of the product's tables with the ids ingest derives; then the
projector's runner catches every partition up, so the projections, trades, equity and
metrics are exactly what the product computes. The directory keeps a manifest of the shape
it was built for, so a later run with the same `--data-dir` and shape reuses it instead of
building again.
"""

import asyncio
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any

from bench.events import check_canonical, log_event
from bench.prefill import create_log
from bench.server import KEY_FILE
from projector.opening import open_projector
from schema.settings import StoreSettings
from stratlog.simulation import RunSpec, Trading, catalog_events, simulate_runs

MAIN_RUN = "read-main"
PEER_RUNS = tuple(f"read-peer-{n}" for n in range(1, 5))
STRATEGY = "read-bench-strategy"
INSTANCE = "read-bench-instance"
SYMBOLS = ("ESM5", "NQM5")
MANIFEST = "read_dataset.json"
LOG_FILE, PROJECTION_FILE = "log.sqlite3", "projections.sqlite3"  # the embedded defaults
# About 0.2 executions per bar: a bracket opened on one flat bar in five, tight exits.
BUSY = Trading(entry_chance=0.2, take_profit_ticks=(3, 8), stop_loss_ticks=(3, 8))


@dataclass(frozen=True, slots=True)
class Shape:
    """How big the runs are: the main run's bars and each peer run's (two symbols each)."""

    bars: int
    peer_bars: int


FULL = Shape(bars=500_000, peer_bars=20_000)
QUICK = Shape(bars=6_000, peer_bars=600)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A built data set: where it is, its shape, and what the projector made of it."""

    directory: Path
    shape: Shape
    events: int
    counts: dict[str, int]  # rows of the main run per projection table

    @property
    def projections(self) -> Path:
        return self.directory / PROJECTION_FILE

    @property
    def runs(self) -> tuple[str, ...]:
        return (MAIN_RUN, *PEER_RUNS)

    @property
    def symbol(self) -> str:
        return SYMBOLS[0]


def ensure(directory: Path, shape: Shape) -> Dataset:
    """The data set of `shape` in `directory`, built there first unless it already is."""
    manifest = directory / MANIFEST
    generator = _fingerprint(shape)
    if manifest.exists():
        recorded = json.loads(manifest.read_text())
        if recorded["shape"] == asdict(shape) and recorded.get("generator") == generator:
            print(f"reusing the data set in {directory}", flush=True)
            return Dataset(directory, shape, recorded["events"], recorded["counts"])
        # Built for another shape or generator: the stores go, and the key made for them.
        for path in [*directory.glob("*.sqlite3*"), directory / KEY_FILE]:
            path.unlink(missing_ok=True)
    if (directory / LOG_FILE).exists() or (directory / PROJECTION_FILE).exists():
        raise SystemExit(
            f"{directory} holds another or a partial data set; give an empty --data-dir"
        )
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    events = _write_log(directory / LOG_FILE, shape)
    print(f"  wrote {events:,} events in {time.perf_counter() - started:.0f}s", flush=True)
    asyncio.run(_project_all(directory))
    counts = _main_run_counts(directory / PROJECTION_FILE)
    print(f"built in {time.perf_counter() - started:.0f}s: main run {counts}", flush=True)
    dataset = Dataset(directory, shape, events, counts)
    record = {"shape": asdict(shape), "generator": generator, "events": events, "counts": counts}
    manifest.write_text(json.dumps(record, indent=2))
    return dataset


def specs(shape: Shape) -> list[RunSpec]:
    """The main run and its four peers (half the bars per symbol, in minutes)."""

    def spec(run_id: str, bars: int, seed: str) -> RunSpec:
        return RunSpec(
            run_id,
            INSTANCE,
            STRATEGY,
            "SIM-READ",
            SYMBOLS,
            "BACKTEST",
            seed,
            events=None,
            minutes=bars // len(SYMBOLS),
            trading=BUSY,
        )

    return [
        spec(MAIN_RUN, shape.bars, "read:main"),
        *(spec(run, shape.peer_bars, f"read:{run}") for run in PEER_RUNS),
    ]


def _documents(shape: Shape) -> Iterator[dict[str, Any]]:
    runs = specs(shape)
    return chain(catalog_events(runs), simulate_runs(runs, seed="read"))


def _fingerprint(shape: Shape) -> str:
    """A hash of the session's first events: a generator that changed builds anew."""
    digest = hashlib.blake2b(digest_size=8)
    for event in islice(map(log_event, _documents(shape)), 5_000):
        digest.update(event.payload)
    return digest.hexdigest()


def _write_log(path: Path, shape: Shape) -> int:
    check_canonical(islice(map(log_event, _documents(shape)), 2_000))
    return create_log(path, map(log_event, _documents(shape)))


async def _project_all(directory: Path) -> None:
    """Catch every partition up, printing the runner's progress every few seconds."""
    stores = await open_projector(StoreSettings(data_dir=directory))
    try:
        for partition in await stores.runner.discover():
            started = time.perf_counter()
            job = asyncio.create_task(stores.runner.catch_up(partition))
            while not job.done():
                await asyncio.wait([job], timeout=10)
                checkpoint = await stores.store.checkpoint(partition)
                if not job.done() and checkpoint is not None:
                    print(
                        f"  projecting {partition}: checkpoint at position {checkpoint.position:,}",
                        flush=True,
                    )
            report = job.result()
            if report.halted or report.lost_race:
                raise AssertionError(f"projection of {partition} stopped: {report}")
            seconds = time.perf_counter() - started
            print(
                f"  projected {partition}: {report.applied:,} events in {seconds:.1f}s"
                " (analytics included)",
                flush=True,
            )
    finally:
        await stores.close()


def _main_run_counts(projections: Path) -> dict[str, int]:
    connection = sqlite3.connect(projections)
    try:
        counts = {}
        for table in ("orders", "executions", "trades", "equity_points"):
            query = f"SELECT count(*) FROM {table} WHERE run_id = ?"  # table names are ours
            counts[table] = int(connection.execute(query, (MAIN_RUN,)).fetchone()[0])
        query = "SELECT count(*) FROM bars JOIN run_series USING (series_id) WHERE run_id = ?"
        counts["bars"] = int(connection.execute(query, (MAIN_RUN,)).fetchone()[0])
    finally:
        connection.close()
    return counts
