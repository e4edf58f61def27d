"""Ingest: events/s through HTTP beside raw SQLite appends of the same events, append latency
under a fixed load, and the ingest process's memory.

On a log that already holds `prefill` generated events (DESIGN §9.1: never measure on an
empty log) the Procfile's ingest process (`uvicorn ingest_api.app:app`, SQLite log in its
data directory, no projector beside it) takes, per batch size and repetition, the next
events of the same session: on the canonical endpoint as JSON arrays, and on the exporters'
batch endpoints as their items (orders, executions, bars). Before each HTTP pass the
baseline appends the same events with stdlib sqlite3 into a copy of the same log (WAL,
synchronous=FULL, one transaction per batch, the same UNIQUE index). Then batches of 10 are
offered at a fixed rate and each request's latency is measured from when it was due, beside
the baseline paced the same way. The log must hold exactly what was sent at the end.
"""

import asyncio
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice, zip_longest
from pathlib import Path

import orjson

from bench.events import (
    EXPORTER_KINDS,
    LogEvent,
    check_canonical,
    session,
    take,
    to_exporter_item,
)
from bench.http_load import Batch, post_batches, post_paced
from bench.prefill import copy_log, count_events, create_log
from bench.server import Api, child_server, free_port, memory_kib, provision_admin_key
from bench.sqlite_baseline import append_batches, append_paced
from bench.stats import Figure, Sample, Spread, summarize

CANONICAL = "/api/v1/events"
LOG_FILE = "log.sqlite3"  # the log's file in a data directory
BASELINE = "stdlib sqlite3 append, same batch (FULL, WAL, same unique index)"
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Case:
    """One throughput row pair: batch size, concurrent HTTP clients, events per pass."""

    batch_size: int
    clients: int
    events: int


@dataclass(frozen=True, slots=True)
class IngestSizes:
    prefill: int
    cases: tuple[Case, ...]
    latency_rate: float  # events/s offered
    latency_batch: int
    latency_seconds: float

    @property
    def latency_events(self) -> int:
        return int(self.latency_rate * self.latency_seconds)


@dataclass
class _Passes:
    """Every timed pass of a run: (baseline, HTTP) samples per row, and the server's peaks."""

    throughput: dict[tuple[str, int], tuple[list[Sample], list[Sample]]] = field(
        default_factory=dict
    )
    latency: tuple[list[Sample], list[Sample]] = field(default_factory=lambda: ([], []))
    peak_rss_mib: list[float] = field(default_factory=list)
    idle_rss_mib: float = 0.0
    sent: int = 0


def measure(workdir: Path, sizes: IngestSizes, repetitions: int, say: Progress) -> list[Figure]:
    """The ingest section's figures (see the module docstring)."""
    # Exporter passes skip the session's other events: a half more than is sent is plenty.
    needed = sizes.prefill + repetitions * (
        sum(2 * case.events for case in sizes.cases) + sizes.latency_events
    )
    stream = session(
        seed=1, runs=needed * 3 // 2 // 10_000 + 2, events_per_run=10_000, concurrent=8
    )
    baseline_log, data_dir = workdir / "baseline.sqlite3", workdir / "ingest-data"
    say(f"prefilling a log with {sizes.prefill:,} generated events ...")
    if create_log(baseline_log, islice(stream, sizes.prefill)) != sizes.prefill:
        raise SystemExit(f"the session is shorter than the {sizes.prefill:,}-event prefill")
    copy_log(baseline_log, data_dir / LOG_FILE)
    env = {"STRATLOG_DATA_DIR": str(data_dir)}
    asyncio.run(provision_admin_key(env, data_dir))
    port, passes = free_port(), _Passes()
    command = [
        "uvicorn",
        "ingest_api.app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with child_server(_venv(command), port, workdir / "ingest.stderr", env) as server:
        api = Api.of(port, data_dir)
        passes.idle_rss_mib = memory_kib(server.pid)["VmRSS"] / 1024
        warmup = take(stream, 200)  # page cache, first-request imports
        check_canonical(warmup[:50])
        append_batches(baseline_log, warmup, 100)
        asyncio.run(_post(api, _canonical(warmup, 100), 2))
        passes.sent += len(warmup)
        for repetition in range(repetitions):
            for case in sizes.cases:
                for path in ("canonical", "exporter"):
                    _throughput(api, baseline_log, stream, case, path, passes)
                    baseline, http = (s[-1] for s in passes.throughput[path, case.batch_size])
                    say(
                        f"ingest #{repetition + 1} {path:>9} batch {case.batch_size:>4}: "
                        f"baseline {baseline.rate:>9,.0f}/s  http {http.rate:>8,.0f}/s"
                    )
            _latency(api, baseline_log, take(stream, sizes.latency_events), sizes, passes)
            say(
                f"ingest #{repetition + 1} latency at {sizes.latency_rate:,.0f} events/s: "
                f"p50 {passes.latency[1][-1].latency_ms(0.5):.1f} ms, "
                f"p99 {passes.latency[1][-1].latency_ms(0.99):.1f} ms"
            )
            passes.peak_rss_mib.append(memory_kib(server.pid)["VmHWM"] / 1024)
    stored, _ = count_events(data_dir / LOG_FILE)
    if stored != sizes.prefill + passes.sent:  # a figure for lost or doubled events is worthless
        raise SystemExit(f"log holds {stored:,} events, expected {sizes.prefill + passes.sent:,}")
    shutil.rmtree(data_dir)
    baseline_log.unlink()
    return _figures(sizes, passes)


def _throughput(
    api: Api,
    baseline_log: Path,
    stream: Iterator[LogEvent],
    case: Case,
    path: str,
    passes: _Passes,
) -> None:
    """One pass of `case` on `path` (canonical or exporter), its baseline first."""
    if path == "canonical":
        events = take(stream, case.events)
        batches = _canonical(events, case.batch_size)
    else:
        events = _exporter_events(stream, case.events)
        batches = _exporter(events, case.batch_size)
    baseline, http = passes.throughput.setdefault((path, case.batch_size), ([], []))
    baseline.append(append_batches(baseline_log, events, case.batch_size))
    http.append(asyncio.run(_post(api, batches, case.clients)))
    passes.sent += len(events)


def _latency(
    api: Api, baseline_log: Path, events: list[LogEvent], sizes: IngestSizes, passes: _Passes
) -> None:
    """Batches offered at the fixed rate: the baseline paced alike, then HTTP."""
    rate, size = sizes.latency_rate, sizes.latency_batch
    passes.latency[0].append(append_paced(baseline_log, events, size, rate))
    offered = post_paced(api.host, api.port, api.headers, _canonical(events, size), rate, 16)
    passes.latency[1].append(asyncio.run(offered))
    passes.sent += len(events)


def _figures(sizes: IngestSizes, passes: _Passes) -> list[Figure]:
    figures = []
    for case in sizes.cases:
        for path, label in (
            ("canonical", f"POST {CANONICAL}"),
            ("exporter", "POST /api/ingest/batch/{orders,executions,bars}"),
        ):
            baseline_samples, http_samples = passes.throughput[path, case.batch_size]
            served = summarize(http_samples)
            figures.append(
                Figure(
                    f"{label}, batches of {case.batch_size} ({case.clients} clients)",
                    "events/s",
                    served.spread,
                    BASELINE,
                    summarize(baseline_samples).spread,
                    f"{case.events:,} events a pass; request p50 {served.p50_ms:.1f} ms, "
                    f"p99 {served.p99_ms:.1f} ms",
                )
            )
    baseline_latency, http_latency = passes.latency
    for fraction, name in ((0.5, "p50"), (0.99, "p99")):
        figures.append(
            Figure(
                f"append latency {name} at {sizes.latency_rate:,.0f} events/s "
                f"(batches of {sizes.latency_batch}, canonical)",
                "ms",
                Spread.of([s.latency_ms(fraction) for s in http_latency]),
                f"stdlib sqlite3 append paced the same, {name}",
                Spread.of([s.latency_ms(fraction) for s in baseline_latency]),
                f"{sizes.latency_events:,} events a pass, latency from when each batch was due",
            )
        )
    figures.append(
        Figure(
            "ingest process peak RSS",
            "MiB",
            Spread.of(passes.peak_rss_mib),
            "the same process at rest after start",
            Spread.of([passes.idle_rss_mib]),
            "VmHWM after each repetition; VmRSS once before any request",
        )
    )
    return figures


async def _post(api: Api, batches: list[Batch], clients: int) -> Sample:
    return await post_batches(api.host, api.port, api.headers, batches, clients)


def _canonical(events: list[LogEvent], size: int) -> list[Batch]:
    """JSON arrays of `size` canonical events, encoded before the clock starts."""
    return [
        Batch(
            CANONICAL,
            b"[" + b",".join(e.payload for e in events[i : i + size]) + b"]",
            len(events[i : i + size]),
        )
        for i in range(0, len(events), size)
    ]


def _exporter_events(stream: Iterator[LogEvent], count: int) -> list[LogEvent]:
    """The next `count` orders, executions and bars of the session (others are skipped)."""
    return take((event for event in stream if event.event_type in EXPORTER_KINDS), count)


def _exporter(events: list[LogEvent], size: int) -> list[Batch]:
    """Each kind's items in arrays of `size` to its batch endpoint, the kinds taking turns
    (as an exporter's three buffers flush)."""
    by_kind: dict[str, list[bytes]] = {}
    for event in events:
        kind, item = to_exporter_item(event)
        by_kind.setdefault(kind, []).append(orjson.dumps(item))
    per_kind = [
        [
            Batch(
                f"/api/ingest/batch/{kind}",
                b"[" + b",".join(items[i : i + size]) + b"]",
                len(items[i : i + size]),
            )
            for i in range(0, len(items), size)
        ]
        for kind, items in by_kind.items()
    ]
    return [batch for batch in chain.from_iterable(zip_longest(*per_kind)) if batch]


def _venv(command: list[str]) -> list[str]:
    """`command` with its program from this interpreter's environment."""
    return [str(Path(sys.executable).parent / command[0]), *command[1:]]
