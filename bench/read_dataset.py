"""The read benchmark's data set: one large run and four small ones, built as the product would.

Each run is bench/trades_100k's synthetic run (two futures, one-minute bars, two accounts,
entries, adds, reduces, exits and flips, two fills per order, fees, TP/SL links) sent as the
events an exporter sends (bench/analytics_100k's `wire_events`), after a strategy and an
instance are registered and before the run ends. Every event goes through the ingest path
(`ingest_api.items.canonical_item`: decode, canonical payload, derived id) into the log store
(`open_event_log` / `append`, the group committer), then the projector's runner catches every
partition up, so the projections, trades, equity and metrics are exactly what the product
computes. The directory keeps a manifest of the shape it was built for, so a later run with
the same `--data-dir` and shape reuses it instead of building again.
"""

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from bench.analytics_100k import wire_events
from bench.trades_100k import SYMBOLS, synthetic_run
from ingest_api.body import RawItem
from ingest_api.items import canonical_item
from ingest_api.log_store import EventLog, NewEvent, Outcome, open_event_log
from projector.opening import open_projector
from schema.settings import StoreSettings

MAIN_RUN = "read-main"
PEER_RUNS = tuple(f"read-peer-{n}" for n in range(1, 5))
STRATEGY = "read-bench-strategy"
INSTANCE = "read-bench-instance"
MANIFEST = "read_dataset.json"
LOG_FILE, PROJECTION_FILE = "log.sqlite3", "projections.sqlite3"  # the embedded defaults
_APPEND_BATCH = 10_000  # the log store's largest group


@dataclass(frozen=True, slots=True)
class Shape:
    """How big the runs are: the main run's fills and bars, and each peer run's."""

    fills: int
    bars: int
    peer_fills: int
    peer_bars: int


FULL = Shape(fills=100_000, bars=500_000, peer_fills=5_000, peer_bars=20_000)
QUICK = Shape(fills=5_000, bars=20_000, peer_fills=500, peer_bars=2_000)


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
        return next(iter(SYMBOLS))


def ensure(directory: Path, shape: Shape) -> Dataset:
    """The data set of `shape` in `directory`, built there first unless it already is."""
    manifest = directory / MANIFEST
    if manifest.exists():
        recorded = json.loads(manifest.read_text())
        if recorded["shape"] == asdict(shape):
            print(f"reusing the data set in {directory}", flush=True)
            return Dataset(directory, shape, recorded["events"], recorded["counts"])
    if (directory / LOG_FILE).exists() or (directory / PROJECTION_FILE).exists():
        raise SystemExit(
            f"{directory} holds another or a partial data set; give an empty --data-dir"
        )
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    events = asyncio.run(_append_all(directory, shape))
    asyncio.run(_project_all(directory))
    counts = _main_run_counts(directory / PROJECTION_FILE)
    print(f"built in {time.perf_counter() - started:.0f}s: main run {counts}", flush=True)
    dataset = Dataset(directory, shape, events, counts)
    manifest.write_text(
        json.dumps({"shape": asdict(shape), "events": events, "counts": counts}, indent=2)
    )
    return dataset


def run_events(run_id: str, fills: int, bars: int, seed: int) -> Iterator[dict[str, Any]]:
    """One synthetic run as canonical events, ending with `run.ended`."""
    last: datetime | None = None
    for wire in wire_events(synthetic_run(fills, bars, seed)):
        event = {**wire, "run_id": run_id}
        if event["type"] == "run.started":
            event.update(instance_id=INSTANCE, strategy_id=STRATEGY, run_type="BACKTEST")
        elif event["type"] == "bar.closed":
            moment = datetime.fromisoformat(event["ts_utc"])
            last = moment if last is None else max(last, moment)
        yield event
    assert last is not None
    yield {"type": "run.ended", "run_id": run_id, "end_utc": last.isoformat()}


def _catalog_events() -> list[dict[str, Any]]:
    return [
        {"type": "strategy.registered", "strategy_id": STRATEGY, "name": "Read bench"},
        {"type": "instance.registered", "instance_id": INSTANCE, "strategy_id": STRATEGY,
         "symbols_json": list(SYMBOLS), "timeframe": "1m", "account_id": "A"},
    ]  # fmt: skip


def _new_event(index: int, wire: dict[str, Any]) -> NewEvent:
    """The event exactly as the canonical ingest route would append it."""
    decoded = canonical_item(RawItem(orjson.dumps(wire).decode(), wire), index, "bench")
    if not isinstance(decoded, NewEvent):
        raise AssertionError(f"bench event rejected: {decoded.errors}")
    return decoded


async def _append_all(directory: Path, shape: Shape) -> int:
    log = await open_event_log(f"sqlite+aiosqlite:///{directory / LOG_FILE}")
    appended = 0
    try:
        sources: list[tuple[str, Iterator[dict[str, Any]]]] = [
            ("catalog", iter(_catalog_events())),
            (MAIN_RUN, run_events(MAIN_RUN, shape.fills, shape.bars, seed=7)),
        ]
        for seed, run_id in enumerate(PEER_RUNS, start=11):
            sources.append((run_id, run_events(run_id, shape.peer_fills, shape.peer_bars, seed)))
        for name, wires in sources:
            started, batch = time.perf_counter(), list[NewEvent]()
            for wire in wires:
                batch.append(_new_event(len(batch), wire))
                if len(batch) == _APPEND_BATCH:
                    appended += await _append(log, batch)
                    batch = []
            appended += await _append(log, batch)
            seconds = time.perf_counter() - started
            print(f"  appended {name}: log head {appended:,} ({seconds:.1f}s)", flush=True)
    finally:
        await log.close()
    return appended


async def _append(log: EventLog, batch: list[NewEvent]) -> int:
    if not batch:
        return 0
    receipt = await log.append(batch)
    if any(result.outcome != Outcome.ACCEPTED for result in receipt.results):
        raise AssertionError("the log did not accept every bench event")
    return len(batch)


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
                    print(f"  projecting {partition}: checkpoint at position"
                          f" {checkpoint.position:,}", flush=True)  # fmt: skip
            report = job.result()
            if report.halted or report.lost_race:
                raise AssertionError(f"projection of {partition} stopped: {report}")
            seconds = time.perf_counter() - started
            print(f"  projected {partition}: {report.applied:,} events in {seconds:.1f}s"
                  " (analytics included)", flush=True)  # fmt: skip
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
