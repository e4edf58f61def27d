"""What the admin routes read and answer: job requests, and a job as it is shown.

A replay's `api_key` (the target's ingest key) is used by the running job and never stored:
the record's arguments keep the run, the target and the pacing only.
"""

from datetime import datetime
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from replay.replayer import DEFAULT_BATCH_SIZE
from stratlog.admin.model import JobKind, JobRecord, JobStatus


class RebuildRequest(BaseModel):
    """Rebuild every projection in a new generation, or one run's rows in the live one."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = Field(
        None, min_length=1, max_length=200, description="Only this run (omit for everything)."
    )


class ReplayRequest(BaseModel):
    """Re-emit a run's events, in log order and with their ids, to another stratlog."""

    model_config = ConfigDict(extra="forbid")

    run_id: str = Field(min_length=1, max_length=200)
    to: AnyHttpUrl = Field(description="Base URL of the stratlog receiving the events.")
    api_key: SecretStr | None = Field(
        None, max_length=400, description="An ingest key of the target; used, never stored."
    )
    speed: float = Field(
        0.0, ge=0, le=1_000_000, description="0: as fast as possible; 10: ten times the run's pace."
    )
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=10_000)

    def arguments(self) -> dict[str, Any]:
        """What the job's record keeps (no credential)."""
        return {
            "run_id": self.run_id,
            "to": str(self.to),
            "speed": self.speed,
            "batch_size": self.batch_size,
        }


class JobProgressBody(BaseModel):
    done: int = Field(description="Events applied (rebuild, verify) or sent (replay).")
    total: int | None = Field(description="Events to do, when known.")
    rate: float | None = Field(description="Events per second.")
    eta_seconds: float | None
    phase: str | None = Field(description="What the job is doing now.")


class AdminJobReport(BaseModel):
    """An admin job: what was asked, how far it is, and once finished its outcome."""

    job_id: str
    kind: JobKind
    status: JobStatus = Field(
        description="running; then succeeded, different (a verify that found differences), "
        "failed, cancelled or interrupted."
    )
    arguments: dict[str, Any]
    requested_by: str
    progress: JobProgressBody | None
    result: dict[str, Any] | None = Field(description="The job's report, once it ended.")
    error: str | None
    created_utc: datetime
    updated_utc: datetime
    finished_utc: datetime | None

    @classmethod
    def of(cls, record: JobRecord) -> "AdminJobReport":
        progress = record.progress
        return cls(
            job_id=record.job_id,
            kind=record.kind,
            status=record.status,
            arguments=record.arguments,
            requested_by=record.requested_by,
            progress=JobProgressBody(**progress.as_json()) if progress else None,
            result=record.result,
            error=record.error,
            created_utc=record.created_utc,
            updated_utc=record.updated_utc,
            finished_utc=record.finished_utc,
        )


class AdminJobList(BaseModel):
    jobs: list[AdminJobReport]
