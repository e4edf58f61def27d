"""The bodies of the admin jobs: rebuild, verify and replay, reporting progress as they go.

Each body is the same function its CLI command runs (projector/rebuild.py, run_rebuild.py,
verify.py, replay/replayer.py); here its progress goes to a `ProgressBoard` the job service
writes to the job's record, and its report becomes the record's JSON result. Failures the
operator can act on (an unknown run, another rebuild under way) are `JobRefused`: the job
fails with that message. Anything else fails the job with the exception's text.
"""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from projector.rebuild import RebuildBusy, drop_replaced, rebuild
from projector.rebuild_progress import RebuildProgress
from projector.run_rebuild import UnknownRun, rebuild_run
from projector.settings import ProjectorSettings
from projector.verify import TableComparison, verify
from replay.replayer import ReplayJob, run_replay
from stratlog.admin.model import JobProgress, JobStatus

DIFFERENCES_SHOWN = 20  # per table: a tampered store can differ in every row


class JobRefused(Exception):
    """The job cannot run as asked; its message says why (recorded as the job's error)."""


class ProgressBoard:
    """The latest progress of one job; the service copies it into the record each second."""

    def __init__(self) -> None:
        self.latest: JobProgress | None = None
        self._total: int | None = None
        self._done = 0

    def phase(self, phase: str) -> None:
        latest = self.latest or JobProgress(0, None, None, None)
        self.latest = JobProgress(latest.done, latest.total, None, None, phase)

    def build(self, update: RebuildProgress) -> None:
        """A rebuild's or verify's progress hook."""
        p = update.progress
        self.latest = JobProgress(
            p.applied_events, p.total_events, p.events_per_second, update.eta_seconds, "building"
        )

    # replay's ReplayProgress protocol
    def start(self, description: str, total: int) -> None:
        self._total, self._done = total, 0
        self.latest = JobProgress(0, total, None, None, "sending")

    def advance(self, events: int) -> None:
        self._done += events
        self.latest = JobProgress(self._done, self._total, None, None, "sending")

    def note(self, message: str) -> None:
        latest = self.latest or JobProgress(0, self._total, None, None)
        self.latest = JobProgress(latest.done, latest.total, None, None, message)

    def stop(self) -> None:
        """Nothing to tear down: the record keeps the last figures."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: JobStatus
    result: dict[str, Any]
    aftermath: Callable[[], Coroutine[Any, Any, None]] | None = None  # once the job reported


JobBody = Callable[[ProgressBoard], Awaitable[Outcome]]


def rebuild_body(settings: ProjectorSettings, run_id: str | None) -> JobBody:
    async def body(board: ProgressBoard) -> Outcome:
        if run_id is not None:
            board.phase(f"rebuilding run {run_id}")
            try:
                run = await rebuild_run(settings, run_id, batch_size=settings.batch_size)
            except UnknownRun as exc:
                raise JobRefused(str(exc)) from exc
            return Outcome(
                JobStatus.SUCCEEDED,
                {
                    "run_id": run.run_id,
                    "generation": run.live,
                    "events": run.events,
                    "rows": run.rows,
                    "seconds": round(run.seconds, 3),
                },
            )
        try:
            report = await rebuild(
                settings, batch_size=settings.batch_size, on_progress=board.build
            )
        except RebuildBusy as exc:
            raise JobRefused(str(exc)) from exc
        result = {
            "generation": report.generation,
            "replaced": report.replaced,
            "resumed_events": report.resumed_events,
            "applied_events": report.applied_events,
            "seconds": round(report.seconds, 3),
            "halted": report.halted,
        }
        # Readers move over within a second; the replaced generation is dropped after the
        # grace period, once the job has reported (the next rebuild prunes it if this
        # process stops first).
        aftermath = partial(drop_replaced, settings, report.replaced) if report.replaced else None
        return Outcome(JobStatus.SUCCEEDED, result, aftermath)

    return body


def verify_body(settings: ProjectorSettings) -> JobBody:
    async def body(board: ProgressBoard) -> Outcome:
        report = await verify(settings, batch_size=settings.batch_size, on_progress=board.build)
        result = {
            "live": report.live,
            "shadow": report.shadow,
            "events": report.events,
            "build_seconds": round(report.build_seconds, 3),
            "settled": report.settled,
            "identical": report.identical,
            "tables": [_table(t) for t in report.tables],
        }
        status = JobStatus.SUCCEEDED if report.identical else JobStatus.DIFFERENT
        return Outcome(status, result)

    return body


def replay_body(settings: ProjectorSettings, job: ReplayJob) -> JobBody:
    async def body(board: ProgressBoard) -> Outcome:
        report = await run_replay(job, settings, board)
        return Outcome(
            JobStatus.SUCCEEDED,
            {
                "run_id": report.run_id,
                "target": report.target,
                "events": report.events,
                "stored": report.stored,
                "duplicates": report.duplicates,
                "last_position": report.last_position,
                "seconds": round(report.elapsed_s, 3),
            },
        )

    return body


def _table(comparison: TableComparison) -> dict[str, Any]:
    return {
        "table": comparison.table,
        "same": comparison.same,
        "live_rows": comparison.live.rows,
        "shadow_rows": comparison.shadow.rows,
        "differences": [
            {"key": {str(column): _plain(v) for column, v in d.key.items()}, "kind": d.kind}
            for d in comparison.keys[:DIFFERENCES_SHOWN]
        ],
    }


def _plain(value: Any) -> Any:
    """A key value as JSON holds it (keys are text and numbers; times and decimals as text)."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
