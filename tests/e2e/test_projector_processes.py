"""`arq projector.worker.WorkerSettings` as real processes: killed at random, and three at once.

The test process plays ingest (the real log store and the real `ArqDoorbell`); the projector
is the Procfile's command, configured only through STRATLOG_* variables, with a Redis
database and a queue of its own. Killing workers with SIGKILL mid-load, again and again,
must leave exactly the tables one clean pass over the same log builds; three workers on 50
concurrent runs must apply every event once, in order, never one partition twice at once.
"""

import asyncio
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.sessions import bracket_session
from tests.integration.log_events import bar_event
from tests.integration.worker_env import (
    WorkerEnv,
    clean_pass_snapshot,
    projection_snapshot,
    store_env,
    worker_env,
)

ARQ = Path(sys.executable).parent / "arq"
READY_LINE = "projector worker ready"
READY_TIMEOUT_S = 20.0
JOB_LINE = re.compile(r"partition=(\S+) positions (\d+)→(\d+) applied=(\d+)")


@dataclass
class WorkerProcess:
    """One `arq projector.worker.WorkerSettings` process and the file its log goes to."""

    process: "subprocess.Popen[bytes]"
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while READY_LINE not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready in {READY_TIMEOUT_S}s:\n{self.output()}")
            await asyncio.sleep(0.01)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


class Workers:
    """Worker processes started for one test; every one is killed when the test ends."""

    def __init__(self, environment: Mapping[str, str], logs: Path) -> None:
        self.environment = {**os.environ, **environment, "STRATLOG_LOG_LEVEL": "INFO"}
        self.logs = logs
        self.started: list[WorkerProcess] = []

    def start(self) -> WorkerProcess:
        log = self.logs / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(ARQ), "projector.worker.WorkerSettings"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.environment,
            )
        worker = WorkerProcess(process, log)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.started:
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

    def job_lines(self) -> list[tuple[int, str, int, int, int]]:
        """(worker, partition, start, end, applied) of every catch-up any worker logged."""
        return [
            (index, m[1], int(m[2]), int(m[3]), int(m[4]))
            for index, worker in enumerate(self.started)
            for m in JOB_LINE.finditer(worker.output())
        ]


@asynccontextmanager
async def workers_for(env: WorkerEnv, logs: Path) -> AsyncIterator[Workers]:
    workers = Workers(store_env(env.settings), logs)
    try:
        yield workers
    finally:
        workers.stop_all()


async def stream_load(env: WorkerEnv, rng: random.Random, runs: int, stop: asyncio.Event) -> int:
    """Append small batches (bracket sessions, then bars) to random runs, ringing after each,
    until `stop`; the number of appends."""
    pending = {f"run-{r:02d}": bracket_session(f"run-{r:02d}") for r in range(runs)}
    bars = dict.fromkeys(pending, 0)
    appends = 0
    while not stop.is_set():
        run = rng.choice(sorted(pending))
        if pending[run]:
            take = rng.randint(1, 4)
            batch, pending[run] = pending[run][:take], pending[run][take:]
            await env.append_and_ring(batch)
        else:
            first = bars[run]
            bars[run] += rng.randint(1, 4)
            await env.append_and_ring([bar_event(n, run_id=run) for n in range(first, bars[run])])
        appends += 1
        await asyncio.sleep(rng.uniform(0, 0.02))
    return appends


async def kill_repeatedly(
    workers: Workers, env: WorkerEnv, rng: random.Random, kills: int, max_delay_s: float
) -> int:
    """Start a worker, let it run a random while, SIGKILL it; `kills` times. Returns how many
    kills hit a worker while the projection was behind the log (i.e. with work in hand)."""
    busy = 0
    for _ in range(kills):
        worker = workers.start()
        await worker.ready()
        await asyncio.sleep(rng.uniform(0, max_delay_s))
        behind = bool(await env.lagging())
        worker.kill()
        busy += behind
    return busy


async def crash_and_compare(tmp_path: Path, backend: str, kills: int, slots: int) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    settings = {
        "batch_size": 10,
        "sweep_interval_seconds": 0.3,
        "liveness_ttl_seconds": 0.6,
        "max_jobs": 4,
    }
    async with worker_env(backend, tmp_path, **settings) as env, workers_for(env, tmp_path) as w:
        stop = asyncio.Event()
        load = asyncio.create_task(stream_load(env, rng, runs=12, stop=stop))
        try:
            per_slot = -(-kills // slots)
            busy = await asyncio.gather(
                *(kill_repeatedly(w, env, rng, per_slot, max_delay_s=0.3) for _ in range(slots))
            )
        finally:
            stop.set()
            appends = await load
        assert sum(busy) >= kills // 2, f"too few kills landed mid-work (seed {seed})"

        await w.start().ready()
        await env.wait_until_projected(timeout_s=30)

        live = await projection_snapshot(env.store)
        clean = await clean_pass_snapshot(env.settings, tmp_path)
        assert appends > 100
        assert live.keys() == clean.keys()
        for table in clean:
            assert live[table] == clean[table], f"{table} differs (seed {seed})"


async def test_sigkilled_workers_leave_the_tables_one_clean_pass_builds(tmp_path: Path) -> None:
    await crash_and_compare(tmp_path, "sqlite", kills=20, slots=2)


@pytest.mark.slow
@pytest.mark.postgres
async def test_many_sigkills_on_postgres_leave_the_tables_one_clean_pass_builds(
    tmp_path: Path,
) -> None:
    await crash_and_compare(tmp_path, "postgres", kills=30, slots=3)


@pytest.mark.postgres
async def test_three_workers_on_fifty_runs_apply_every_event_once_in_order(
    tmp_path: Path,
) -> None:
    rng = random.Random()
    runs = [f"run-{r:02d}" for r in range(50)]
    settings = {"batch_size": 4, "sweep_interval_seconds": 1.0}
    async with worker_env("postgres", tmp_path, **settings) as env, workers_for(env, tmp_path) as w:
        started = [w.start() for _ in range(3)]
        await asyncio.gather(*(worker.ready() for worker in started))

        async def exporter(run: str) -> None:
            for event in bracket_session(run):  # one event per request, as live exporters do
                await env.append_and_ring([event])
                await asyncio.sleep(rng.uniform(0, 0.005))

        await asyncio.gather(*(exporter(run) for run in runs))
        await env.wait_until_projected(timeout_s=30)
        await env.until_idle()  # so that every job has written its line
        w.stop_all()

        run_events = sum(1 for e in bracket_session() if "run_id" in e)
        projected = {r["run_id"]: r for r in await env.rows("strategy_runs")}
        assert sorted(projected) == runs
        assert {r["event_count"] for r in projected.values()} == {run_events}
        checkpoints = {c.partition: c for c in await env.store.all_checkpoints()}
        assert {checkpoints[r].applied_events for r in runs} == {run_events}
        assert checkpoints["catalog"].applied_events == 2  # the same two, sent 50 times

        # Order kept per run: the late NEW after CANCELED is history, not the current state.
        history: dict[str, list[str]] = defaultdict(list)
        for row in await env.rows("order_history"):
            if row["order_id"] == "1003":
                history[row["run_id"]].append(row["status"])
        assert len(history) == len(runs)
        assert all(h == ["NEW", "CANCELED", "NEW"] for h in history.values())
        assert {o["status"] for o in await env.rows("orders") if o["order_id"] == "1003"} == {
            "CANCELED"
        }

        # From the workers' own lines: each event applied once, by one worker at a time.
        applied: dict[str, int] = defaultdict(int)
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for _worker, partition, start, end, count in w.job_lines():
            applied[partition] += count
            if count:
                spans[partition].append((start, end))
        assert {applied[r] for r in runs} == {run_events}
        for partition, ranges in spans.items():
            ordered = sorted(ranges)
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(ordered)), partition
        assert len({worker for worker, *_ in w.job_lines()}) >= 2  # the work was shared
