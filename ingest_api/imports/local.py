"""Importing files from this machine's disk straight into a log store (`stratlog import`).

No ingest server is involved: the log store named by the settings (the data directory's
SQLite file, or `STRATLOG_LOG_URL`) is opened like ingest opens it and appended to through
the same `Submitter`, so a `stratlog serve` running on the same data directory keeps
serving (SQLite queues the two writers) and its projector's sweep finds the new events. With
`STRATLOG_REDIS_URL` set, appends ring the projector workers as ingest's do.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from ingest_api.doorbell import connect_doorbell, ring_after_append
from ingest_api.imports.job import Clock, OnProgress, run_import
from ingest_api.imports.model import ImportRecord, Via, new_record
from ingest_api.imports.source import detect_format, fingerprint
from ingest_api.imports.store import ImportStore
from ingest_api.log_store import open_event_log
from ingest_api.settings import IngestSettings
from ingest_api.submission import AfterAppend, Submitter, no_hook
from schema.storage import is_sqlite


def utc_now() -> datetime:
    return datetime.now(UTC)


class LocalImports:
    """Imports local files into one log store, each under a record of its own."""

    def __init__(self, submitter: Submitter, store: ImportStore, clock: Clock = utc_now) -> None:
        self._submitter = submitter
        self._store = store
        self._clock = clock

    @classmethod
    @asynccontextmanager
    async def opened(cls, settings: IngestSettings) -> AsyncIterator["LocalImports"]:
        """Imports into the log store `settings` name, open for the block."""
        url = settings.resolved_log_url()
        pg_schema = None if is_sqlite(url) else settings.log_pg_schema
        if settings.log_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            log = await open_event_log(
                url,
                synchronous=settings.sqlite_synchronous,
                pg_schema=pg_schema,
                max_pending_events=settings.max_pending_events,
                max_batch_events=settings.max_batch_events,
            )
            stack.push_async_callback(log.close)
            store = ImportStore.open(
                url, synchronous=settings.sqlite_synchronous, pg_schema=pg_schema
            )
            stack.push_async_callback(store.close)
            after_append: AfterAppend = no_hook
            if settings.redis_url:
                doorbell = connect_doorbell(settings.redis_url, settings.queue_name)
                stack.push_async_callback(doorbell.close)
                after_append = ring_after_append(doorbell)
            yield cls(Submitter(log, after_append), store)

    async def import_file(
        self, path: Path, *, via: Via, on_progress: OnProgress | None = None
    ) -> ImportRecord:
        """Import `path`; its final record. UnsupportedFile (nothing appended, no record) if
        it is not an import format."""
        sha256, size = await asyncio.to_thread(fingerprint, path)
        file_format = await asyncio.to_thread(detect_format, path)
        record = new_record(
            str(uuid.uuid4()),
            path.name,
            file_format,
            via,
            size_bytes=size,
            sha256=sha256,
            now=self._clock(),
        )
        await self._store.create(record)
        return await run_import(
            path,
            record,
            submitter=self._submitter,
            store=self._store,
            clock=self._clock,
            on_progress=on_progress,
        )
