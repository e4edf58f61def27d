"""Time the analytics stage of a 100k-fill, 500k-bar run through the real runner (SQLite).

The run is bench/trades_100k's synthetic one (two symbols, multipliers 50 and 20 defined for
the run, 250k one-minute bars each, two accounts, adds/reduces/closes/flips, a quarter of the
closing orders linked TP/SL), written to a log file as the events an exporter would send:
run.started, instrument.defined, bar.closed, order.submitted, execution.recorded (with its
own side and symbol: the synthetic orders mix them), oco.order_linked. Then, on fresh
SQLite files in a temporary directory:
1. the runner catches the run up from position 0 (projections + one analytics stage);
2. the stage alone, through the runner: analytics marked due, `catch_up` again (0 events);
3. its parts: reading the run's rows, turning them into inputs, `report_run`.
Baseline, in the same run: `report_run` on the same run held in memory (the pure part).
The runner's trades and net PnL are checked against that in-memory report.

    .venv/bin/python -m bench.analytics_100k [--fills N] [--bars N]
"""

import argparse
import asyncio
import os
import platform
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, update

from bench.prefill import sqlite_time
from bench.trades_100k import SYMBOLS, Synthetic, synthetic_run
from projector.analytics import reads
from projector.analytics.inputs import run_inputs_of
from projector.log_feed import LogFeed
from projector.metrics import report_run
from projector.runner import Runner
from projector.store import ProjectionStore
from schema.codec import decode_event, encode_event
from schema.ids import derive_event_id
from schema.storage import make_engine
from schema.tables import LOG_METADATA
from schema.tables.projections import checkpoints

RUN = "bench"
PARTS = ("read", "convert", "report_run")
INSERT = (
    "INSERT INTO ingest_events (position, event_id, event_type, schema_version, run_id,"
    " event_utc, received_utc, payload, source) VALUES (?, ?, ?, 1, ?, ?, ?, ?, 'bench')"
)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def wire_events(run: Synthetic) -> Iterator[dict[str, Any]]:
    """The synthetic run as the events an exporter sends, in a plausible order."""
    inputs = run.inputs
    start = min(bar.ts_utc for series in inputs.bars.values() for bar in series)
    yield {"type": "run.started", "run_id": RUN, "instance_id": "bench-instance",
           "strategy_id": "bench-strategy", "start_utc": _z(start),
           "initial_balance": run.facts.initial_balance}  # fmt: skip
    for symbol, multiplier in SYMBOLS.items():
        yield {"type": "instrument.defined", "run_id": RUN, "symbol": symbol,
               "multiplier": multiplier, "asset_class": "FUTURE"}  # fmt: skip
    for symbol, series in inputs.bars.items():
        for bar in series:
            yield {"type": "bar.closed", "run_id": RUN, "symbol": symbol, "timeframe": "1m",
                   "ts_utc": _z(bar.ts_utc), "open": bar.open, "high": bar.high,
                   "low": bar.low, "close": bar.close}  # fmt: skip
    facts = {order.order_id: order for order in run.facts.orders}
    submitted: set[str] = set()
    for fill in inputs.fills:
        order = facts.get(fill.order_id)
        if fill.order_id not in submitted and order is not None:
            submitted.add(fill.order_id)
            assert order.order_type is not None
            assert order.submit_utc is not None
            yield {"type": "order.submitted", "run_id": RUN, "order_id": fill.order_id,
                   "symbol": fill.symbol, "account_id": fill.account_id, "side": fill.side,
                   "order_type": order.order_type, "quantity": order.quantity,
                   "price": order.price, "stop_price": order.stop_price,
                   "submit_utc": _z(order.submit_utc)}  # fmt: skip
        yield {"type": "execution.recorded", "run_id": RUN, "execution_id": fill.execution_id,
               "order_id": fill.order_id, "exec_utc": _z(fill.exec_utc), "price": fill.price,
               "quantity": fill.quantity, "fee": fill.fee, "side": fill.side,
               "symbol": fill.symbol, "account_id": fill.account_id}  # fmt: skip
    for order_id, role in inputs.oco_roles.items():
        yield {"type": "oco.order_linked", "run_id": RUN, "oco_group_id": f"g-{order_id}",
               "order_id": order_id, "role": role}  # fmt: skip


def write_log(path: Path, run: Synthetic) -> int:
    """A log file holding the run's events at positions 1..n; returns n."""
    engine = create_engine(f"sqlite:///{path}")
    LOG_METADATA.create_all(engine)
    engine.dispose()
    received = sqlite_time(datetime.now(UTC))
    rows = []
    for position, wire in enumerate(wire_events(run), start=1):
        event = decode_event(wire)
        payload = encode_event(event)
        occurred = event.occurred_utc
        event_utc = sqlite_time(occurred) if occurred else received  # as the log store does
        event_id = derive_event_id(payload, occurred)
        rows.append((position, event_id, event.type, RUN, event_utc, received, payload.decode()))
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN")
        connection.executemany(INSERT, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return len(rows)


async def measure(directory: Path, run: Synthetic) -> dict[str, float]:
    events = write_log(directory / "log.sqlite3", run)
    store = await ProjectionStore.open(f"sqlite+aiosqlite:///{directory / 'projections.sqlite3'}")
    feed = LogFeed(make_engine(f"sqlite+aiosqlite:///{directory / 'log.sqlite3'}", role="reader"))
    runner = Runner(feed, store, batch_size=1000)
    try:
        await runner.discover()
        started = time.perf_counter()
        report = await runner.catch_up(RUN)
        catch_up = time.perf_counter() - started
        assert report.applied == events, report
        async with store.writer.begin() as conn:  # analytics due again, nothing to apply
            await conn.execute(update(checkpoints).values(analytics_position=0))
        started = time.perf_counter()
        await runner.catch_up(RUN)
        stage = time.perf_counter() - started
        async with store.reader.connect() as conn:
            started = time.perf_counter()
            rows = await reads.run_rows(conn, RUN)
            reading = time.perf_counter() - started
            stored = await reads.metrics_row(conn, RUN)
        started = time.perf_counter()
        inputs, facts = run_inputs_of(rows)
        converting = time.perf_counter() - started
        started = time.perf_counter()
        stored_report = report_run(inputs, facts)
        computing = time.perf_counter() - started
    finally:
        await store.close()
        await feed.engine.dispose()
    pure = report_run(run.inputs, run.facts)
    assert stored is not None
    assert stored["trades"] == len(pure.reconstruction.trades), "trades differ from in-memory"
    assert abs(stored["net_pnl"] - pure.metrics.trades.net_pnl) < 1e-6, "net PnL differs"
    assert stored_report.metrics.trades == pure.metrics.trades
    return {"events": events, "catch_up": catch_up, "stage": stage, "read": reading,
            "convert": converting, "report_run": computing}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--bars", type=int, default=500_000)
    args = parser.parse_args()
    run = synthetic_run(args.fills, args.bars)
    started = time.perf_counter()
    pure = report_run(run.inputs, run.facts)
    baseline = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        figures = asyncio.run(measure(Path(directory), run))
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stage = figures["stage"]
    versions = f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    print(f"{versions} on {platform.machine()} ({os.cpu_count()} CPUs)")
    print(
        f"run: {len(run.inputs.fills):,} fills, {sum(map(len, run.inputs.bars.values())):,} bars,"
        f" {int(figures['events']):,} events -> {len(pure.reconstruction.trades):,} trades,"
        f" {len(pure.equity):,} equity points; peak RSS {rss_mib:,.0f} MiB"
    )
    rows = (
        ("baseline: report_run in memory", baseline),
        ("runner catch-up from 0 (all of it)", figures["catch_up"]),
        ("analytics stage through the runner", stage),
        ("  read the run's rows", figures["read"]),
        ("  rows -> inputs", figures["convert"]),
        ("  report_run on them", figures["report_run"]),
        ("  write rows, aggregates (the rest)", stage - sum(figures[k] for k in PARTS)),
    )  # fmt: skip
    for name, seconds in rows:
        print(f"  {name:<38} {seconds:7.2f}s  {seconds / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
