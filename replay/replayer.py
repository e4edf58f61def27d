"""Running a replay: read the run from the log, pace it, batch it, send it, record progress.

`replay_events` is the loop: events come in log order; each is held until the pacer says it
is due; a batch goes to the sink when it is full, or before waiting for a later event, so a
re-timed replay delivers every event at its time and a free-running one (speed 0) sends full
batches back to back. After each delivered batch the last position is handed to
`acknowledged` (the resume state) and to the progress display, never before delivery.
`run_replay` wires it up from a `ReplayJob`: the log source, the sink for `--to` or `--out`,
the state file, and where a resumed replay starts.
"""

import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from replay.file_sink import NdjsonFileSink
from replay.http_sink import HttpSink
from replay.pacing import Pacer
from replay.progress import ReplayProgress
from replay.records import LoggedEvent
from replay.retry import RetryPolicy
from replay.sink import Sink
from replay.source import RunSource
from replay.state import StateFile, default_state_path
from schema.settings import StoreSettings

DEFAULT_BATCH_SIZE = 500
Acknowledged = Callable[[int, int], None]  # (last position, events acknowledged in total)


@dataclass(frozen=True, slots=True)
class ReplayJob:
    """What to replay, where to, and how (the `stratlog replay` options)."""

    run_id: str
    to: str | None = None  # a stratlog's base URL
    out: Path | None = None  # an NDJSON(.gz) file
    api_key: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    speed: float = 0.0
    max_pause: float | None = None
    state_path: Path | None = None
    resume: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if (self.to is None) == (self.out is None):
            raise ValueError("a replay goes either to a URL or to a file")
        if self.resume and self.out is not None:
            raise ValueError("--resume applies to replays to a URL; a file is written whole")
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")


@dataclass(slots=True)
class ReplayReport:
    """What a replay sent, and what the destination made of it."""

    run_id: str
    target: str
    after: int  # the position it started after (0, or where a resumed replay left off)
    events: int = 0
    stored: int = 0
    duplicates: int = 0
    last_position: int | None = None
    elapsed_s: float = 0.0


async def run_replay(
    job: ReplayJob, settings: StoreSettings, progress: ReplayProgress, *, pacer: Pacer | None = None
) -> ReplayReport:
    """Replay `job.run_id` from the log store `settings` name to the job's destination."""
    source = await RunSource.open(settings, job.run_id)
    sink: Sink
    if job.to is not None:
        sink = HttpSink(job.to, api_key=job.api_key, policy=job.retry, on_retry=progress.note)
    else:
        assert job.out is not None
        sink = NdjsonFileSink(job.out)
    complete = False
    try:
        after: int = 0
        acknowledged: Acknowledged = _ignore
        if job.to is not None:
            after, acknowledged = _resume_point(job, settings, sink.target)
        report = ReplayReport(job.run_id, sink.target, after)
        progress.start(f"replay {job.run_id}", await source.count_after(after))
        try:
            await replay_events(
                source.events(after),
                sink,
                report,
                batch_size=job.batch_size,
                pacer=pacer or Pacer(job.speed, max_pause=job.max_pause),
                progress=progress,
                acknowledged=acknowledged,
            )
        finally:
            progress.stop()
        complete = True
        return report
    finally:
        try:
            await sink.finish(complete=complete)
        finally:
            await source.close()


async def replay_events(
    events: AsyncIterable[LoggedEvent],
    sink: Sink,
    report: ReplayReport,
    *,
    batch_size: int,
    pacer: Pacer,
    progress: ReplayProgress,
    acknowledged: Acknowledged,
) -> None:
    """Send `events` to `sink` in batches, paced; counts go into `report`."""
    started = time.monotonic()
    batch: list[LoggedEvent] = []

    async def flush() -> None:
        delivery = await sink.send(batch)
        report.events += len(batch)
        report.stored += delivery.stored
        report.duplicates += delivery.duplicates
        report.last_position = batch[-1].position
        acknowledged(report.last_position, report.events)
        progress.advance(len(batch))
        batch.clear()

    async for event in events:
        due = pacer.due_at(event.own_time)
        if pacer.is_later(due):
            if batch:
                await flush()
            await pacer.wait_until(due)
        batch.append(event)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    report.elapsed_s = time.monotonic() - started


def _resume_point(job: ReplayJob, settings: StoreSettings, target: str) -> tuple[int, Acknowledged]:
    """Where the replay starts, and how it records what the target acknowledged."""
    path = job.state_path or default_state_path(settings.data_dir, job.run_id, target)
    state = StateFile(path, job.run_id, target)
    resumed = state.load() if job.resume else None
    after, earlier = (resumed.position, resumed.events) if resumed else (0, 0)

    def acknowledged(position: int, events: int) -> None:
        state.save(position, earlier + events)

    return after, acknowledged


def _ignore(position: int, events: int) -> None:
    """Progress is not recorded for a replay to a file: it is written whole or not at all."""
