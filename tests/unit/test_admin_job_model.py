"""Admin job records as read: a running job whose process stopped beating reads as
interrupted; progress survives its JSON round trip."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from stratlog.admin.model import (
    INTERRUPTED_ERROR,
    STALE_AFTER,
    JobKind,
    JobProgress,
    JobRecord,
    JobStatus,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def running(updated: datetime) -> JobRecord:
    progress = JobProgress(10, 100, 5.0, 18.0, "building")
    return JobRecord(
        "j1", JobKind.REBUILD, {}, JobStatus.RUNNING, "key:k1",
        progress, None, None, NOW - timedelta(hours=1), updated, None,
    )  # fmt: skip


def test_a_running_job_that_beats_reads_as_running() -> None:
    record = running(NOW - STALE_AFTER + timedelta(seconds=1))
    assert record.seen_at(NOW) is record


def test_a_running_job_silent_past_the_stale_limit_reads_as_interrupted() -> None:
    updated = NOW - STALE_AFTER - timedelta(seconds=1)
    seen = running(updated).seen_at(NOW)
    assert seen.status is JobStatus.INTERRUPTED
    assert seen.error == INTERRUPTED_ERROR
    assert seen.finished_utc == updated
    assert seen.progress == running(updated).progress


def test_a_finished_job_is_never_reported_stale() -> None:
    finished = replace(running(NOW - timedelta(days=3)), status=JobStatus.SUCCEEDED)
    assert finished.seen_at(NOW) is finished


def test_progress_round_trips_through_json() -> None:
    progress = JobProgress(7, None, None, None, "sending")
    assert JobProgress.from_json(progress.as_json()) == progress
