"""End-to-end lag: from an append's acknowledgement until the read API reflects it, under a
steady load, with the embedded default and with the Procfile's processes (Redis + arq).

Per mode and repetition, on a fresh data directory (SQLite stores): generated sessions
(several runs at once) are posted to `POST /api/v1/events` at `rate` events/s in batches;
each acknowledged batch is pending until, for every run in it, the run's checkpoint (the
position the read API's answers and `X-Projection-Position` are computed from) covers the
batch's position in that run; and again for its analytics (trades, metrics). The
checkpoints are read from the projection store every 2 ms. Baseline, measured in the same
pass and by the same watcher: the raw projector loop (bench.catch_up's) tailing the same log
file in a thread, polling it every 2 ms, its checkpoint committed with synchronous=FULL.
After the load, every run is asked through the read API with `min_position` at its last
acknowledged position, which must answer 200 (the read API does reflect it).
"""

import asyncio
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AsyncExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.catch_up import Checkpoints
from bench.events import LogEvent, session, take
from bench.http_load import Batch, post_paced
from bench.raw_loop import raw_sink, raw_step
from bench.server import Api, child_server, free_port, provision_admin_key, stratlog_server
from bench.stats import Figure, Spread, percentile
from schema.doorbell import partition_key
from tests.integration.worker_env import dedicated_redis_db

CANONICAL = "/api/v1/events"
_POLL_S = 0.002
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LagSizes:
    rate: float  # events/s offered
    seconds: float
    batch: int


@dataclass
class _Pending:
    """An acknowledged batch: each run's position in it, and when each side reflected it."""

    acknowledged: float
    positions: dict[str, int]
    last: int
    projected: float | None = None
    analyzed: float | None = None
    raw: float | None = None


@dataclass
class _Pass:
    pending: list[_Pending] = field(default_factory=list)
    done: list[_Pending] = field(default_factory=list)
    heads: dict[str, int] = field(default_factory=dict)  # each run's last acknowledged position


def measure(
    workdir: Path, sizes: LagSizes, repetitions: int, modes: tuple[str, ...], say: Progress
) -> list[Figure]:
    """The lag figures of each mode (see the module docstring)."""
    figures = []
    for mode in modes:
        passes = []
        for repetition in range(repetitions):
            data_dir = workdir / f"lag-{mode}-{repetition}"
            data_dir.mkdir()
            done = asyncio.run(_repetition(mode, data_dir, sizes, repetition))
            passes.append(done)
            say(
                f"lag #{repetition + 1} {mode}: projected p50 {_ms(done, 'projected', 0.5):.0f}"
                f" ms, p99 {_ms(done, 'projected', 0.99):.0f} ms; raw loop p50 "
                f"{_ms(done, 'raw', 0.5):.0f} ms"
            )
        label = {
            "embedded": "embedded (`stratlog serve`, in-process projector)",
            "arq": "Procfile (ingest + Redis doorbell + one arq worker + read)",
        }[mode]
        behind = Spread.of([_behind(p) for p in passes])
        note = (
            f"{sizes.rate:,.0f} events/s for {sizes.seconds:g} s in batches of "
            f"{sizes.batch}; several runs at once; SQLite stores; the last batch was visible "
            f"{behind.text(1)} s after the last acknowledgement"
        )
        for side, what in (
            ("projected", "visible (orders, fills, bars)"),
            ("analyzed", "trades and metrics up to date"),
        ):
            for fraction, name in ((0.5, "p50"), (0.99, "p99")):
                figures.append(
                    Figure(
                        f"lag {name}, append acknowledged → {what}, {label}",
                        "ms",
                        Spread.of([_ms(p, side, fraction) for p in passes]),
                        f"raw loop tailing the same log, {name}",
                        Spread.of([_ms(p, "raw", fraction) for p in passes]),
                        note,
                    )
                )
    return figures


def _behind(done: list[_Pending]) -> float:
    """Seconds from the last acknowledgement until everything was visible: near 0 when the
    projector keeps up with the load, the backlog's length when it does not."""
    return max(p.projected or 0.0 for p in done) - max(p.acknowledged for p in done)


def _ms(done: list[_Pending], side: str, fraction: float) -> float:
    lags = [getattr(p, side) - p.acknowledged for p in done]
    return percentile(lags, fraction) * 1000


async def _repetition(
    mode: str, data_dir: Path, sizes: LagSizes, repetition: int
) -> list[_Pending]:
    """One pass of `mode` on a fresh `data_dir`."""
    env = {"STRATLOG_DATA_DIR": str(data_dir)}
    async with AsyncExitStack() as stack:
        if mode == "embedded":
            port = stack.enter_context(stratlog_server(data_dir, data_dir / "serve.stderr", env))
            await provision_admin_key(env, data_dir)  # nothing to do once serve wrote its key
            ingest = read = Api.of(port, data_dir)
        else:
            redis_url = await stack.enter_async_context(dedicated_redis_db())
            env |= {
                "STRATLOG_REDIS_URL": redis_url,
                "STRATLOG_QUEUE_NAME": f"stratlog:bench:{data_dir.name}",
            }
            await provision_admin_key(env, data_dir)
            ports = {
                name: stack.enter_context(_procfile_process(name, data_dir, env))
                for name in ("ingest", "projector", "read")
            }
            ingest, read = Api.of(ports["ingest"], data_dir), Api.of(ports["read"], data_dir)
        return await _load(ingest, read, data_dir, env, sizes, repetition)


_PROCFILE = {
    "ingest": ["uvicorn", "ingest_api.app:app"],
    "projector": ["arq", "projector.worker.WorkerSettings"],
    "read": ["uvicorn", "read_api.app:app"],
}


@contextmanager
def _procfile_process(name: str, data_dir: Path, env: dict[str, str]) -> Iterator[int]:
    """A Procfile line as a child process until the block exits; its port (0: none)."""
    program, *arguments = _PROCFILE[name]
    port = free_port() if program == "uvicorn" else 0
    if port:
        arguments += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    command = [str(Path(sys.executable).parent / program), *arguments]
    with child_server(command, port, data_dir / f"{name}.stderr", env):
        yield port


async def _load(
    ingest: Api,
    read: Api,
    data_dir: Path,
    env: dict[str, str],
    sizes: LagSizes,
    repetition: int,
) -> list[_Pending]:
    """Offer the load, watch every batch until both sides reflect it, check the read API."""
    events = take(
        session(seed=100 + repetition, runs=4, events_per_run=10**9),
        int(sizes.rate * sizes.seconds),
    )
    state = _Pass()
    tail = _RawTail(data_dir / "log.sqlite3", data_dir / "raw-tail.sqlite3")
    tail.start()
    watcher = asyncio.create_task(_watch(state, env, tail))
    try:
        await _offer(ingest, events, sizes, state)
        deadline = time.monotonic() + 120
        while state.pending:
            if time.monotonic() > deadline or watcher.done():
                raise SystemExit(f"{len(state.pending)} batches never reflected; see {data_dir}")
            await asyncio.sleep(0.05)
    finally:
        watcher.cancel()
        tail.stop()
    await _check_read_api(read, state.heads)
    return state.done


async def _offer(api: Api, events: list[LogEvent], sizes: LagSizes, state: _Pass) -> None:
    """The events in batches at the steady rate; each acknowledged batch becomes pending."""
    chunks = [events[i : i + sizes.batch] for i in range(0, len(events), sizes.batch)]
    batches = [
        Batch(CANONICAL, b"[" + b",".join(e.payload for e in chunk) + b"]", len(chunk))
        for chunk in chunks
    ]

    def acknowledged(index: int, report: dict[str, Any]) -> None:
        at, positions = time.perf_counter(), dict[str, int]()
        for item, event in zip(report["items"], chunks[index], strict=True):
            partition = partition_key(event.run_id)
            positions[partition] = max(positions.get(partition, 0), int(item["position"]))
        for partition, position in positions.items():
            state.heads[partition] = max(state.heads.get(partition, 0), position)
        state.pending.append(_Pending(at, positions, max(positions.values())))

    await post_paced(api.host, api.port, api.headers, batches, sizes.rate, 8, acknowledged)


async def _watch(state: _Pass, env: Mapping[str, str], tail: "_RawTail") -> None:
    """Every 2 ms: which pending batches each side now reflects."""
    reader = Checkpoints(env)
    try:
        while True:
            _mark(state, await reader.read(), tail.position)
            await asyncio.sleep(_POLL_S)
    finally:
        await reader.close()


def _mark(state: _Pass, checkpoints: dict[str, tuple[int, int]], raw: int) -> None:
    """Stamp the pending batches each side reflects now; move those all sides do to `done`."""
    now, still = time.perf_counter(), list[_Pending]()

    def covered(batch: _Pending, side: int) -> bool:
        return all(checkpoints.get(p, (0, 0))[side] >= at for p, at in batch.positions.items())

    for batch in state.pending:
        if batch.projected is None and covered(batch, 0):
            batch.projected = now
        if batch.analyzed is None and covered(batch, 1):
            batch.analyzed = now
        if batch.raw is None and raw >= batch.last:
            batch.raw = now
        done = None not in (batch.projected, batch.analyzed, batch.raw)
        (state.done if done else still).append(batch)
    state.pending = still


async def _check_read_api(read: Api, heads: dict[str, int]) -> None:
    """Each run, asked through the read API at its last acknowledged position, answers."""
    async with httpx.AsyncClient(base_url=read.base_url, headers=dict(read.headers)) as client:
        for partition, position in heads.items():
            if partition == "catalog":
                continue
            response = await client.get(
                f"/api/v1/runs/{partition}/executions",
                params={"limit": 1, "min_position": position},
            )
            if response.status_code != 200:
                raise SystemExit(f"read API on {partition}@{position}: {response.text[:300]}")


class _RawTail:
    """The raw projector loop following a live log in a thread (the lag baseline)."""

    def __init__(self, log: Path, target: Path) -> None:
        self._log, self._target = log, target
        self.position = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._log.exists() and not self._stop.is_set():
            time.sleep(_POLL_S)
        source = sqlite3.connect(f"file:{self._log}?mode=ro", uri=True)
        with closing(source), closing(raw_sink(self._target)) as sink:
            while not self._stop.is_set():
                position = raw_step(source, sink, self.position)
                if position == self.position:
                    time.sleep(_POLL_S)
                self.position = position
