"""One real projector worker process (`arq projector.worker.WorkerSettings`): catch-up
throughput on a prefilled log, and end-to-end lag under a steady load.

    .venv/bin/python -m bench.projector_worker throughput sqlite|postgres [--events N] [--runs R]
    .venv/bin/python -m bench.projector_worker lag sqlite|postgres [--rate EV_PER_S] [--seconds S]

Stores, Redis database and queue are the test suite's isolated ones (tests.integration.
worker_env): a temporary SQLite directory or fresh PostgreSQL schemas, a Redis database of its
own. Throughput: events appended first, then one worker started; events applied over the time
from the worker's "ready" line to its last job line (both its own log timestamps). Lag: events
appended in batches of 10 at `--rate`, ingest's doorbell rung after each append, and the time
from the append's acknowledgement until the partition's checkpoint covers it, polled every
2 ms; p50/p99/max over all batches.
"""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.integration.log_events import bar_event
from tests.integration.worker_env import WorkerEnv, store_env, worker_env

_JOB = re.compile(r"^(\S+) \[info\s*\] partition=\S+ positions \d+→\d+ applied=(\d+)", re.M)
_READY = re.compile(r"^(\S+) \[info\s*\] projector worker ready", re.M)
_BATCH = 10


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _start_worker(env: WorkerEnv, log: Path) -> subprocess.Popen[bytes]:
    arq = Path(sys.executable).with_name("arq")
    return subprocess.Popen(
        [str(arq), "projector.worker.WorkerSettings"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **store_env(env.settings)},
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(10)


async def throughput(backend: str, events: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with worker_env(backend, Path(directory)) as env:
            bars = [bar_event(i // runs, run_id=f"run-{i % runs}") for i in range(events)]
            for start in range(0, events, 5000):
                await env.append(bars[start : start + 5000])
            log = Path(directory) / "worker.log"
            worker = _start_worker(env, log)
            try:
                await env.wait_until_projected(timeout_s=900)
            finally:
                _stop(worker)
            text = log.read_text()
            ready = _READY.search(text)
            jobs = _JOB.findall(text)
            if ready is None or not jobs:
                raise SystemExit(f"the worker logged no ready line or no job; see {log}")
            elapsed = max(_seconds(t) for t, _ in jobs) - _seconds(ready[1])
            applied = sum(int(a) for _, a in jobs)
            print(
                f"{backend}: {applied} events over {runs} runs in {elapsed:.2f} s = "
                f"{applied / elapsed:,.0f} events/s (one worker)"
            )


async def lag(backend: str, rate: float, seconds: float, runs: int = 10) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with worker_env(backend, Path(directory)) as env:
            log = Path(directory) / "worker.log"
            worker = _start_worker(env, log)
            try:
                await _ready(log)
                lags = await _measure_lag(env, rate, seconds, runs)
            finally:
                _stop(worker)
    lags.sort()

    def quantile(q: float) -> float:
        return lags[min(len(lags) - 1, int(q * len(lags)))] * 1000

    print(
        f"{backend}: {rate:g} events/s for {seconds:g} s in batches of {_BATCH} over {runs} "
        f"runs: append acknowledged -> projected p50 {quantile(0.5):.1f} ms, "
        f"p99 {quantile(0.99):.1f} ms, max {lags[-1] * 1000:.1f} ms"
    )


async def _ready(log: Path) -> None:
    """Wait for the worker's "ready" line (it logs to a file: nothing to await but polling)."""
    deadline = time.monotonic() + 60
    while "ready" not in log.read_text():
        if time.monotonic() > deadline:
            raise SystemExit(f"the worker did not get ready within 60 s; see {log}")
        await asyncio.sleep(0.05)


async def _measure_lag(env: WorkerEnv, rate: float, seconds: float, runs: int) -> list[float]:
    pending: list[tuple[str, int, float]] = []  # (partition, position, acknowledged at)
    lags: list[float] = []
    appending = True

    async def watch() -> None:
        while appending or pending:
            positions = {c.partition: c.position for c in await env.store.all_checkpoints()}
            now = time.perf_counter()
            waiting = []
            for partition, position, acknowledged in pending:
                if positions.get(partition, 0) >= position:
                    lags.append(now - acknowledged)
                else:
                    waiting.append((partition, position, acknowledged))
            pending[:] = waiting
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    started, sent = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        run = f"run-{sent % runs}"
        batch = [bar_event(sent * _BATCH + k, run_id=run) for k in range(_BATCH)]
        receipt = await env.log.append(batch)
        acknowledged = time.perf_counter()
        await env.doorbell.ring([run])
        pending.append((run, max(r.position for r in receipt.results), acknowledged))
        sent += 1
        await asyncio.sleep(max(0.0, started + sent * _BATCH / rate - time.perf_counter()))
    appending = False
    await asyncio.wait_for(watcher, 60)
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measure", choices=["throughput", "lag"])
    parser.add_argument("backend", choices=["sqlite", "postgres"])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    if args.measure == "throughput":
        asyncio.run(throughput(args.backend, args.events, args.runs))
    else:
        asyncio.run(lag(args.backend, args.rate, args.seconds, args.runs))


if __name__ == "__main__":
    main()
