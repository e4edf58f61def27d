"""The admin jobs one process runs: started from a request, run as tasks of the process.

A job outlives its request: `start` writes its record (running), starts its body as a task and
returns at once; a beat copies the body's latest progress into the record every second (which
is also the heartbeat that tells other processes the job is alive). The outcome, or the error,
is written when the body ends. At most one job of a kind runs in a process at a time: a second
rebuild would only wait for the first one's lease.

Cancelling a job cancels its task (work committed so far is kept; a rebuild resumes from it).
Shutdown cancels every running job and records it interrupted.
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from stratlog.admin.errors import JobNotFound, JobNotRunningHere
from stratlog.admin.model import (
    INTERRUPTED_ERROR,
    PROGRESS_INTERVAL,
    JobKind,
    JobRecord,
    JobStatus,
)
from stratlog.admin.store import AdminJobStore
from stratlog.admin.work import JobBody, JobRefused, Outcome, ProgressBoard

logger = structlog.get_logger("stratlog.admin")

Clock = Callable[[], datetime]
CANCELLED_ERROR = "cancelled by an admin; work committed so far is kept"


def utc_now() -> datetime:
    return datetime.now(UTC)


class KindBusy(JobNotRunningHere):
    """A job of this kind is running in this process already (409)."""

    code = "job_running"


class AdminJobs:
    """The jobs of one process, and the records of every process's jobs."""

    def __init__(self, store: AdminJobStore, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock
        self._running: dict[str, tuple[JobKind, asyncio.Task[None]]] = {}
        self._aftermaths: set[asyncio.Task[None]] = set()
        self._starting: set[JobKind] = set()

    async def start(
        self, kind: JobKind, arguments: dict[str, Any], requested_by: str, body: JobBody
    ) -> JobRecord:
        """Record the job and start it; its record, status running."""
        busy = [job_id for job_id, (k, _) in self._running.items() if k is kind]
        if busy or kind in self._starting:
            running = busy[0] if busy else "being started"
            raise KindBusy(f"{kind} job {running} is running in this process; wait for it")
        now = self.clock()
        record = JobRecord(
            str(uuid.uuid4()), kind, arguments, JobStatus.RUNNING, requested_by,
            None, None, None, now, now, None,
        )  # fmt: skip
        self._starting.add(kind)  # two requests at once: the second must not pass the check
        try:
            await self.store.create(record)
        finally:
            self._starting.discard(kind)
        task = asyncio.create_task(self._run(record, body), name=f"admin-{kind}-{record.job_id}")
        self._running[record.job_id] = (kind, task)
        task.add_done_callback(lambda _: self._running.pop(record.job_id, None))
        logger.info("admin job started", job=record.job_id, kind=kind, by=requested_by, **arguments)
        return record

    async def get(self, job_id: str) -> JobRecord:
        record = await self.store.get(job_id, self.clock())
        if record is None:
            raise JobNotFound(job_id)
        return record

    async def recent(self, limit: int) -> list[JobRecord]:
        return await self.store.recent(limit, self.clock())

    async def cancel(self, job_id: str) -> JobRecord:
        """Cancel a job this process runs; its record once cancelled."""
        running = self._running.get(job_id)
        if running is None:
            record = await self.get(job_id)  # 404 when there is no such job
            if record.status.finished:
                return record
            raise JobNotRunningHere(f"job {job_id} runs in another process; cancel it there")
        task = running[1]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return await self.get(job_id)

    async def close(self) -> None:
        """Cancel running jobs (recorded interrupted) and release the store."""
        tasks = [task for _, task in self._running.values()]
        for task in tasks:
            task.cancel(INTERRUPTED_ERROR)
        for task in self._aftermaths:
            task.cancel()
        await asyncio.gather(*tasks, *self._aftermaths, return_exceptions=True)
        await self.store.close()

    async def _run(self, record: JobRecord, body: JobBody) -> None:
        board = ProgressBoard()
        beat = asyncio.create_task(self._beat(record, board))
        status, result, error = JobStatus.FAILED, None, None
        outcome: Outcome | None = None
        try:
            outcome = await body(board)
            status, result = outcome.status, outcome.result
        except asyncio.CancelledError as exc:
            shutdown = INTERRUPTED_ERROR in exc.args
            status = JobStatus.INTERRUPTED if shutdown else JobStatus.CANCELLED
            error = INTERRUPTED_ERROR if shutdown else CANCELLED_ERROR
        except JobRefused as exc:
            error = str(exc)
        except Exception as exc:  # recorded in the job: the request that started it is over
            logger.exception("admin job failed", job=record.job_id, kind=record.kind)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
        now = self.clock()
        progress = board.latest
        if progress is not None and status in (JobStatus.SUCCEEDED, JobStatus.DIFFERENT):
            progress = replace(progress, eta_seconds=None, phase=None)  # nothing left to do
        final = replace(
            record,
            status=status,
            progress=progress,
            result=result,
            error=error,
            updated_utc=now,
            finished_utc=now,
        )
        try:
            await self.store.save(final)
        except Exception as exc:  # e.g. a result that cannot be stored: the outcome still is
            logger.exception("could not record the admin job's outcome", job=record.job_id)
            error = f"{status.value}, but its report could not be recorded: {exc}"
            await self.store.save(replace(final, status=JobStatus.FAILED, result=None, error=error))
        logger.info("admin job ended", job=record.job_id, kind=record.kind, status=status.value)
        if outcome is not None and outcome.aftermath is not None:
            task = asyncio.create_task(outcome.aftermath(), name=f"admin-after-{record.job_id}")
            self._aftermaths.add(task)
            task.add_done_callback(self._aftermaths.discard)

    async def _beat(self, record: JobRecord, board: ProgressBoard) -> None:
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL.total_seconds())
            current = replace(record, progress=board.latest, updated_utc=self.clock())
            try:
                await self.store.save(current)
            except Exception:  # a store briefly away: the next beat retries
                logger.exception("could not record admin job progress", job=record.job_id)
