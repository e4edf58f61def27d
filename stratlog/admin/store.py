"""Admin job records in the log store's `admin_jobs` table (created with the log).

Any admin process on the same log store can show any job, whichever process runs it. Reads
report a running record whose process died as interrupted (`JobRecord.seen_at`); nothing is
rewritten for that, so a read never writes. Driver errors become `JobStoreUnavailable` (503).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine
from schema.tables.log import admin_jobs
from stratlog.admin.errors import JobStoreUnavailable
from stratlog.admin.model import JobKind, JobProgress, JobRecord, JobStatus

_DRIVER_ERRORS = (DBAPIError, OSError, TimeoutError)


class AdminJobStore:
    """Reads and writes admin job records."""

    def __init__(self, writer: AsyncEngine, reader: AsyncEngine) -> None:
        self._writer, self._reader = writer, reader

    @classmethod
    def open(cls, settings: StoreSettings) -> "AdminJobStore":
        url = settings.resolved_log_url()
        sqlite = is_sqlite(url)
        schema = None if sqlite else settings.log_pg_schema
        sync = settings.sqlite_synchronous
        writer = make_engine(url, role="writer", synchronous=sync, pg_schema=schema)
        reader = make_engine(url, role="reader", synchronous=sync) if sqlite else writer
        return cls(writer, reader)

    async def close(self) -> None:
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()

    async def create(self, record: JobRecord) -> None:
        async with self._writing() as conn:
            await conn.execute(insert(admin_jobs).values(_row(record)))

    async def save(self, record: JobRecord) -> None:
        """Write the record's status, progress and outcome."""
        row = _row(record)
        del row["job_id"]
        async with self._writing() as conn:
            await conn.execute(
                update(admin_jobs).where(admin_jobs.c.job_id == record.job_id).values(row)
            )

    async def get(self, job_id: str, now: datetime) -> JobRecord | None:
        query = select(admin_jobs).where(admin_jobs.c.job_id == job_id)
        async with self._reading() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _record(row).seen_at(now)

    async def recent(self, limit: int, now: datetime) -> list[JobRecord]:
        """The latest jobs, newest first."""
        query = (
            select(admin_jobs)
            .order_by(admin_jobs.c.created_utc.desc(), admin_jobs.c.job_id)
            .limit(limit)
        )
        async with self._reading() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row).seen_at(now) for row in rows]

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._writer.begin() as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            raise JobStoreUnavailable(f"the admin job records are unavailable: {exc}") from exc

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._reader.connect() as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            raise JobStoreUnavailable(f"the admin job records are unavailable: {exc}") from exc


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _row(record: JobRecord) -> dict[str, Any]:
    return {
        "job_id": record.job_id,
        "kind": record.kind.value,
        "arguments": orjson.dumps(record.arguments).decode(),
        "status": record.status.value,
        "requested_by": record.requested_by,
        "progress": _json(record.progress.as_json() if record.progress else None),
        "result": _json(record.result),
        "error": record.error,
        "created_utc": record.created_utc,
        "updated_utc": record.updated_utc,
        "finished_utc": record.finished_utc,
    }


def _record(row: Row[Any]) -> JobRecord:
    progress = orjson.loads(row.progress) if row.progress else None
    return JobRecord(
        job_id=row.job_id,
        kind=JobKind(row.kind),
        arguments=orjson.loads(row.arguments),
        status=JobStatus(row.status),
        requested_by=row.requested_by,
        progress=JobProgress.from_json(progress) if progress else None,
        result=orjson.loads(row.result) if row.result else None,
        error=row.error,
        created_utc=row.created_utc,
        updated_utc=row.updated_utc,
        finished_utc=row.finished_utc,
    )
