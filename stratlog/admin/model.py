"""What an admin job is made of: its kind, its status and its progress, as stored and shown.

A job's record is one row of the log store's `admin_jobs` table: written when the job starts,
rewritten with its progress about once a second while it runs, and finally with its outcome.
A record left `running` by a process that died stops being rewritten; once silent for
`STALE_AFTER` it reads as `interrupted`. Every job is safe to start again: a rebuild resumes
from its generation's checkpoints, a replay's target keeps event ids (nothing twice), and a
verify starts from scratch.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

PROGRESS_INTERVAL = timedelta(seconds=1)
STALE_AFTER = timedelta(seconds=60)
INTERRUPTED_ERROR = "stopped before the end (shutdown or crash); start the job again to resume"


class JobKind(StrEnum):
    REBUILD = "rebuild"
    VERIFY = "verify"
    REPLAY = "replay"


class JobStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # done; for a verify: the stores are identical
    DIFFERENT = "different"  # a verify that found differences (its result lists them)
    FAILED = "failed"
    CANCELLED = "cancelled"  # an admin cancelled it; committed work is kept
    INTERRUPTED = "interrupted"  # its process stopped (shutdown, crash) before the end

    @property
    def finished(self) -> bool:
        return self is not JobStatus.RUNNING


@dataclass(frozen=True, slots=True)
class JobProgress:
    """How far a running job is: `done` of `total` events, at `rate` events/s."""

    done: int
    total: int | None
    rate: float | None
    eta_seconds: float | None
    phase: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "total": self.total,
            "rate": self.rate,
            "eta_seconds": self.eta_seconds,
            "phase": self.phase,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "JobProgress":
        return cls(
            done=int(value["done"]),
            total=value.get("total"),
            rate=value.get("rate"),
            eta_seconds=value.get("eta_seconds"),
            phase=value.get("phase"),
        )


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One row of `admin_jobs`."""

    job_id: str
    kind: JobKind
    arguments: dict[str, Any]
    status: JobStatus
    requested_by: str
    progress: JobProgress | None
    result: dict[str, Any] | None
    error: str | None
    created_utc: datetime
    updated_utc: datetime
    finished_utc: datetime | None

    def seen_at(self, now: datetime) -> "JobRecord":
        """The record as of `now`: a running one silent too long belonged to a dead process."""
        if self.status is JobStatus.RUNNING and now - self.updated_utc > STALE_AFTER:
            return replace(
                self,
                status=JobStatus.INTERRUPTED,
                error=INTERRUPTED_ERROR,
                finished_utc=self.updated_utc,
            )
        return self
