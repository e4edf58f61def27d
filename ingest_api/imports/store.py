"""Import records in the log store's `imports` table (created with the log by open_event_log).

The record is the import's progress and report, readable by any process on the same log store
(`GET /api/ingest/imports/{id}` may reach another ingest replica than the one running it). A
running import rewrites its record at least every `PROGRESS_INTERVAL`; one silent for
`STALE_AFTER` belonged to a process that died, and is marked interrupted when next read.
Driver errors become `StoreUnavailable`, as in the log store.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ingest_api.imports.model import (
    INTERRUPTED_ERROR,
    STALE_AFTER,
    ImportFormat,
    ImportRecord,
    ImportStatus,
    ProgressUnit,
    Via,
    counts_from_json,
)
from ingest_api.log_store import StoreUnavailable
from schema.settings import SqliteSynchronous
from schema.storage import is_sqlite, make_engine
from schema.tables.log import imports

_DRIVER_ERRORS = (DBAPIError, OSError, TimeoutError)
STALE_ERROR = f"its process stopped reporting progress: {INTERRUPTED_ERROR}"


class ImportStore:
    """Reads and writes import records."""

    def __init__(self, writer: AsyncEngine, reader: AsyncEngine) -> None:
        self._writer = writer
        self._reader = reader

    @classmethod
    def open(
        cls, url: str, *, synchronous: SqliteSynchronous = "FULL", pg_schema: str | None = None
    ) -> "ImportStore":
        """The records of the log store at `url` (its tables exist once the log is open)."""
        writer = make_engine(url, role="writer", synchronous=synchronous, pg_schema=pg_schema)
        reader = (
            make_engine(url, role="reader", synchronous=synchronous) if is_sqlite(url) else writer
        )
        return cls(writer, reader)

    async def close(self) -> None:
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()

    async def create(self, record: ImportRecord) -> None:
        async with self._writing() as conn:
            await conn.execute(insert(imports).values(_row(record)))

    async def save(self, record: ImportRecord) -> None:
        """Write the record's progress, status and report."""
        row = _row(record)
        del row["import_id"]
        async with self._writing() as conn:
            await conn.execute(
                update(imports).where(imports.c.import_id == record.import_id).values(row)
            )

    async def get(self, import_id: str, now: datetime) -> ImportRecord | None:
        """The record, with a running one whose process died reported (and kept) interrupted."""
        async with self._reading() as conn:
            row = (
                await conn.execute(select(imports).where(imports.c.import_id == import_id))
            ).first()
        if row is None:
            return None
        return await self._settled(_record(row), now)

    async def recent(self, limit: int, now: datetime) -> list[ImportRecord]:
        """The latest imports, newest first."""
        query = select(imports).order_by(imports.c.created_utc.desc(), imports.c.import_id)
        async with self._reading() as conn:
            rows = (await conn.execute(query.limit(limit))).all()
        return [await self._settled(_record(row), now) for row in rows]

    async def completed_import_of(self, sha256: str) -> str | None:
        """The first import of this content that completed (so quarantined its bad items)."""
        query = (
            select(imports.c.import_id)
            .where(imports.c.sha256 == sha256, imports.c.status == ImportStatus.COMPLETED)
            .order_by(imports.c.created_utc, imports.c.import_id)
            .limit(1)
        )
        async with self._reading() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return str(value) if value is not None else None

    async def _settled(self, record: ImportRecord, now: datetime) -> ImportRecord:
        if record.status is not ImportStatus.RUNNING or now - record.updated_utc < STALE_AFTER:
            return record
        stale = record.with_changes(status=ImportStatus.INTERRUPTED, error=STALE_ERROR)
        async with self._writing() as conn:  # only if nobody wrote it meanwhile
            await conn.execute(
                update(imports)
                .where(
                    imports.c.import_id == record.import_id,
                    imports.c.updated_utc == record.updated_utc,
                    imports.c.status == ImportStatus.RUNNING,
                )
                .values(status=stale.status, error=stale.error)
            )
        return stale

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._writer.begin() as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            raise StoreUnavailable(f"the import records are unavailable: {exc}") from exc

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._reader.connect() as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            raise StoreUnavailable(f"the import records are unavailable: {exc}") from exc


def _row(record: ImportRecord) -> dict[str, Any]:
    counts = {table: figures.as_json() for table, figures in record.counts.items()}
    return {
        "import_id": record.import_id,
        "source_name": record.source_name,
        "format": record.format.value,
        "via": record.via.value,
        "size_bytes": record.size_bytes,
        "sha256": record.sha256,
        "status": record.status.value,
        "run_id": record.run_id,
        "progress_unit": record.progress_unit.value,
        "progress_done": record.progress_done,
        "progress_total": record.progress_total,
        "counts": orjson.dumps(counts).decode(),
        "quarantined_by": record.quarantined_by,
        "created_utc": record.created_utc,
        "updated_utc": record.updated_utc,
        "finished_utc": record.finished_utc,
        "error": record.error,
    }


def _record(row: Row[Any]) -> ImportRecord:
    return ImportRecord(
        import_id=row.import_id,
        source_name=row.source_name,
        format=ImportFormat(row.format),
        via=Via(row.via),
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        status=ImportStatus(row.status),
        created_utc=row.created_utc,
        updated_utc=row.updated_utc,
        progress_unit=ProgressUnit(row.progress_unit),
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        counts=counts_from_json(orjson.loads(row.counts)),
        run_id=row.run_id,
        quarantined_by=row.quarantined_by,
        finished_utc=row.finished_utc,
        error=row.error,
    )
