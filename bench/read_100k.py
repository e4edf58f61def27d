"""Time `POST /api/v1/compare` and downsampled bars on runs the size of analytics_100k's.

bench/analytics_100k's run (100k fills, 500k one-minute bars) leaves 250,000 equity points
and 250,000 bars per symbol. Building five such runs through the runner takes 15 minutes,
and a read only sees rows, so this writes the rows themselves into a fresh projection store
(the product's tables): five runs of `--points` equity points (one a minute, starts a day
apart, one instance and strategy) and one series of `--bars` one-minute bars. Then, through
the real read app (httpx over ASGI, so routing and JSON are included), the median of
`--repetitions` requests:
- compare the five runs (200 points, align time and elapsed; 2,000 points) and their
  instance;
- bars: `max_points=500` over every bar, one page of 1,000 one-hour candles, one of 1,000
  one-minute candles, one raw page of 1,000 bars.
Baselines in the same run: loading the five curves into Python (what sampling in Python
would cost before sampling anything), and one SQL scan of every bar (count and max high).

    .venv/bin/python -m bench.read_100k [--points N] [--bars N] [--pg-url URL]
"""

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from projector.analytics.rows import metrics_json
from projector.metrics import RunFacts, report_run
from projector.store import ProjectionStore
from projector.trades import RunInputs
from read_api.app import create_app
from read_api.dependencies import get_stores
from read_api.settings import ReadSettings
from read_api.status import StatusStores
from schema.storage import make_engine
from schema.tables import LOG_METADATA
from schema.tables.projections import (
    bars,
    equity_points,
    run_metrics,
    run_series,
    strategies,
    strategy_instances,
    strategy_runs,
)
from tests.credentials import key_headers

RUNS = [f"bench-{n}" for n in range(5)]
START = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 20_000
METRICS_JSON = metrics_json(report_run(RunInputs("empty", []), RunFacts(100_000.0)).metrics)


async def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start : start + CHUNK])


def _run_rows(run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run's strategy_runs and run_metrics rows (an empty report's metrics)."""
    run = {"run_id": run_id, "instance_id": "I", "strategy_id": "S", "event_count": 1,
           "placeholder": False, "first_position": 1, "last_position": 1}  # fmt: skip
    metrics = {"run_id": run_id, "computed_position": 1, "instance_id": "I", "strategy_id": "S",
               "initial_balance": 100_000.0, "periods_per_year": 252.0, "open_positions": 0,
               "trades": 0, "wins": 0, "losses": 0, "breakevens": 0,
               "metrics_json": METRICS_JSON}  # fmt: skip
    return run, metrics


async def fill(store: ProjectionStore, points: int, bar_count: int) -> None:
    """The five runs' catalogue rows, metrics rows, equity points, and one bar series."""
    rng = random.Random(7)
    last_bar = START + timedelta(minutes=bar_count - 1)
    async with store.writer.begin() as conn:
        await _insert(conn, strategies, [{"strategy_id": "S", "placeholder": False,
                                          "last_position": 1}])  # fmt: skip
        await _insert(conn, strategy_instances, [{"instance_id": "I", "strategy_id": "S",
                      "placeholder": False, "derived_id": False, "last_position": 1}])  # fmt: skip
        for n, run_id in enumerate(RUNS):
            run, metrics = _run_rows(run_id)
            await _insert(conn, strategy_runs, [run])
            await _insert(conn, run_metrics, [metrics])
            first = START + timedelta(days=n, microseconds=n * 137)
            equity, rows = 100_000.0, []
            for seq in range(points):
                equity += rng.gauss(0, 25)
                rows.append({"run_id": run_id, "seq": seq, "equity": equity, "drawdown": 0.0,
                             "ts_utc": first + timedelta(minutes=seq)})  # fmt: skip
            await _insert(conn, equity_points, rows)
        await _insert(conn, run_series, [{"series_id": "ES-1m", "run_id": RUNS[0],
                      "symbol": "ESM5", "timeframe": "1m", "venue": "", "provider": "",
                      "timeframe_raw": "1m", "bar_count": bar_count, "first_ts_utc": START,
                      "last_ts_utc": last_bar, "last_position": 1}])  # fmt: skip
        price, rows = 5000.0, []
        for i in range(bar_count):
            price += rng.gauss(0, 1)
            rows.append({"series_id": "ES-1m", "ts_utc": START + timedelta(minutes=i),
                         "open": price, "high": price + 1, "low": price - 1, "close": price,
                         "volume": 10.0, "last_position": 1})  # fmt: skip
        await _insert(conn, bars, rows)


async def median_ms(repetitions: int, call: Callable[[], Awaitable[object]]) -> float:
    await call()  # warm: statement caches, pages in the OS cache
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(
    store: ProjectionStore, log: AsyncEngine, directory: Path, repetitions: int
) -> list[tuple[str, float]]:
    settings = ReadSettings(data_dir=directory)
    headers = await key_headers(settings, "read")  # every route is authenticated
    app = create_app(settings)
    stores = StatusStores(log=log, projections=store.reader)
    app.dependency_overrides[get_stores] = lambda: stores
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://read", headers=headers) as client,
    ):

        async def post(**body: Any) -> None:
            response = await client.post("/api/v1/compare", json=body)
            assert response.status_code == 200, response.text

        async def get(**params: Any) -> None:
            path = f"/api/v1/runs/{RUNS[0]}/bars"
            response = await client.get(path, params={"symbol": "ESM5", **params})
            assert response.status_code == 200, response.text

        async def load_curves() -> None:
            async with store.reader.connect() as conn:
                for run_id in RUNS:
                    query = select(equity_points.c.ts_utc, equity_points.c.equity).where(
                        equity_points.c.run_id == run_id
                    )
                    (await conn.execute(query.order_by(equity_points.c.seq))).all()

        async def scan_bars() -> None:
            async with store.reader.connect() as conn:
                query = select(func.count(), func.max(bars.c.high))
                (await conn.execute(query.where(bars.c.series_id == "ES-1m"))).one()

        cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("baseline: load the 5 curves into Python", load_curves),
            ("compare 5 runs, 200 points, time", lambda: post(kind="runs", ids=RUNS)),
            ("compare 5 runs, 200 points, elapsed",
             lambda: post(kind="runs", ids=RUNS, align="elapsed")),
            ("compare their instance, 200 points", lambda: post(kind="instances", ids=["I"])),
            ("compare 5 runs, 2000 points, time",
             lambda: post(kind="runs", ids=RUNS, points=2000)),
            ("baseline: one SQL scan of every bar", scan_bars),
            ("bars max_points=500 over every bar", lambda: get(max_points=500)),
            ("bars bucket=1h, a page of 1,000", lambda: get(bucket="1h", limit=1000)),
            ("bars bucket=1m, a page of 1,000", lambda: get(bucket="1m", limit=1000)),
            ("bars raw, a page of 1,000", lambda: get(limit=1000)),
        ]  # fmt: skip
        return [(name, await median_ms(repetitions, call)) for name, call in cases]


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = args.pg_url or f"sqlite+aiosqlite:///{Path(directory) / 'projections.sqlite3'}"
        schema = f"bench_{uuid.uuid4().hex[:8]}" if args.pg_url else None
        store = await ProjectionStore.open(url, pg_schema=schema)
        # An empty log where the read app looks for it: routes read its head.
        log = make_engine(f"sqlite+aiosqlite:///{Path(directory) / 'log.sqlite3'}", role="writer")
        async with log.begin() as conn:
            await conn.run_sync(LOG_METADATA.create_all)
        try:
            started = time.perf_counter()
            await fill(store, args.points, args.bars)
            written = time.perf_counter() - started
            print(f"rows written in {written:.1f}s ({store.reader.dialect.name})")
            figures = await measure(store, log, Path(directory), args.repetitions)
        finally:
            if schema is not None:
                async with store.writer.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await log.dispose()
            await store.close()
    print(f"python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs)")
    print(f"{len(RUNS)} runs x {args.points:,} equity points, {args.bars:,} bars; medians:")
    for name, ms in figures:
        print(f"  {name:<42} {ms:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=250_000)
    parser.add_argument("--bars", type=int, default=500_000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--pg-url", help="a PostgreSQL URL (postgresql+asyncpg://…)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
