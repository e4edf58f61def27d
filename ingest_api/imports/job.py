"""Running one import: the file's batches appended through the ingest append path, counted.

The file is read on a thread of the import's own (SQLite connections stay on the thread that
opened them, and the event loop keeps serving while rows are decoded), one batch ahead of the
append: the next batch is decoded while the current one is committed; memory holds two.
Each batch is appended by the same `Submitter` the ingest routes use (derived event ids, so
a second import of a file appends nothing; rejections go to the quarantine in the same
commit), retrying while the log is overloaded. Once a file's import has completed, a later
import of the same content counts its bad items as rejected but does not quarantine them
again (`quarantined_by` names the import that did).

The record is saved at least every `PROGRESS_INTERVAL` while the import runs, and once at the
end: `completed`, `failed` (the file could not be read to its end, or the store failed:
`error` says why) or `interrupted` (cancelled: Ctrl-C, a shutdown).
"""

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import structlog

from ingest_api.imports.errors import UnreadableFile, UnsupportedFile
from ingest_api.imports.model import (
    INTERRUPTED_ERROR,
    PROGRESS_INTERVAL,
    ImportRecord,
    ImportStatus,
    TableCounts,
)
from ingest_api.imports.rows import Batch, ImportSource
from ingest_api.imports.source import open_source
from ingest_api.imports.store import ImportStore
from ingest_api.items import Decoded
from ingest_api.log_store import LogStoreError, Overloaded, Rejection
from ingest_api.responses import ItemResult, ItemStatus
from ingest_api.submission import Submitter

BATCH_ROWS = 1000
OVERLOADED_PATIENCE_S = 300.0
_REFUSED = (ItemStatus.REJECTED, ItemStatus.CONFLICT)

Clock = Callable[[], datetime]
OnProgress = Callable[[ImportRecord], None]
T = TypeVar("T")

logger = structlog.get_logger(__name__)


async def run_import(
    path: Path,
    record: ImportRecord,
    *,
    submitter: Submitter,
    store: ImportStore,
    clock: Clock,
    on_progress: OnProgress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportRecord:
    """Import `path` under `record` (already stored, status running); the final record."""
    job = _Job(record, store, clock, on_progress)
    reader = _ReaderThread()
    source: ImportSource | None = None
    batches: Iterator[Batch] | None = None
    upcoming: asyncio.Future[Batch | None] | None = None
    started = time.monotonic()
    try:
        source = await reader.call(
            partial(open_source, path, record.format, record.sha256, batch_rows=batch_rows)
        )
        quarantined_by = await store.completed_import_of(record.sha256)
        job.update(
            run_id=source.run_id,
            progress_unit=source.unit,
            progress_total=source.total,
            quarantined_by=quarantined_by,
        )
        batches = source.batches()
        upcoming = reader.read(batches)
        while (batch := await upcoming) is not None:
            upcoming = reader.read(batches)  # decoded while this one is appended
            await job.append(submitter, batch, quarantine=quarantined_by is None)
        final = job.finish(ImportStatus.COMPLETED)
    except (UnreadableFile, UnsupportedFile, LogStoreError) as exc:
        final = job.finish(ImportStatus.FAILED, error=str(exc))
    except asyncio.CancelledError:
        with contextlib.suppress(LogStoreError):
            await store.save(job.finish(ImportStatus.INTERRUPTED, error=INTERRUPTED_ERROR))
        raise
    except Exception as exc:  # a bug: the record says the import ended, then it propagates
        with contextlib.suppress(LogStoreError):
            error = f"internal error ({type(exc).__name__}); see the log"
            await store.save(job.finish(ImportStatus.FAILED, error=error))
        raise
    finally:
        reader.close(batches, source, upcoming)
    try:
        await store.save(final)
    except LogStoreError as exc:  # read back later as interrupted, once it is stale
        logger.warning("import record not saved", import_id=record.import_id, error=str(exc))
    _log(final, time.monotonic() - started)
    return final


class _Job:
    """The record of a running import, its counters, and when it was last saved."""

    def __init__(
        self, record: ImportRecord, store: ImportStore, clock: Clock, on_progress: OnProgress | None
    ) -> None:
        self.record = record
        self._store = store
        self._clock = clock
        self._on_progress = on_progress
        self._counts: dict[str, TableCounts] = {}
        self._saved_at = time.monotonic()

    def update(self, **changes: object) -> None:
        self.record = self.record.with_changes(**changes)

    async def append(self, submitter: Submitter, batch: Batch, *, quarantine: bool) -> None:
        decoded: list[Decoded] = []
        for item in batch.items:
            if not isinstance(item.decoded, Rejection):
                decoded.extend(item.decoded)
            elif quarantine:
                decoded.append(item.decoded)
        results = iter(await self._submit(submitter, decoded))
        for item in batch.items:
            figures = self._counts.setdefault(item.table, TableCounts())
            figures.items += 1
            if isinstance(item.decoded, Rejection):
                if quarantine:
                    next(results)
                figures.rejected += 1
                continue
            statuses = {next(results).status for _ in item.decoded}
            if statuses & set(_REFUSED):
                figures.rejected += 1
            elif ItemStatus.ACCEPTED in statuses:
                figures.new += 1
            else:
                figures.duplicate += 1
        self.update(progress_done=batch.progress)
        await self._progressed()

    def finish(self, status: ImportStatus, *, error: str | None = None) -> ImportRecord:
        now = self._clock()
        final = self._snapshot(status=status, error=error, finished_utc=now, updated_utc=now)
        if not any(figures.rejected for figures in final.counts.values()):
            final = final.with_changes(quarantined_by=None)  # nothing it would have kept
        return final

    async def _submit(self, submitter: Submitter, decoded: list[Decoded]) -> list[ItemResult]:
        delay, waited = 0.05, 0.0
        while True:
            try:
                return await submitter.submit(decoded)
            except Overloaded:
                if waited >= OVERLOADED_PATIENCE_S:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 2.0)
            await self._progressed()  # still alive, only waiting

    async def _progressed(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self._snapshot())
        if time.monotonic() - self._saved_at >= PROGRESS_INTERVAL.total_seconds():
            await self._store.save(self._snapshot(updated_utc=self._clock()))
            self._saved_at = time.monotonic()

    def _snapshot(self, **changes: object) -> ImportRecord:
        counts = {table: replace(figures) for table, figures in self._counts.items()}
        return self.record.with_changes(counts=counts, **changes)


class _ReaderThread:
    """The one thread that does all of an import's file reading, in order: a SQLite
    connection is used only by the thread that opened it, and a generator is never resumed
    by two threads at once."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-reader")

    async def call(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function)

    def read(self, batches: Iterator[Batch]) -> "asyncio.Future[Batch | None]":
        """The next batch (None at the end), read on the thread starting now."""
        return asyncio.get_running_loop().run_in_executor(self._pool, next, batches, None)

    def close(
        self,
        batches: Iterator[Batch] | None,
        source: ImportSource | None,
        upcoming: "asyncio.Future[Batch | None] | None",
    ) -> None:
        """Close the reader after whatever read is still running (not waiting for it)."""
        if upcoming is not None:
            if upcoming.done() and not upcoming.cancelled():
                upcoming.exception()  # a read ahead that failed after the import stopped
            upcoming.cancel()
        if batches is not None and hasattr(batches, "close"):
            self._pool.submit(batches.close)
        if source is not None:
            self._pool.submit(source.close)
        self._pool.shutdown(wait=False)


def _log(record: ImportRecord, seconds: float) -> None:
    total = sum(figures.items for figures in record.counts.values())
    new = sum(figures.new for figures in record.counts.values())
    rejected = sum(figures.rejected for figures in record.counts.values())
    logger.info(
        f"import {record.import_id} {record.source_name}: {record.status} "
        f"items={total} new={new} rejected={rejected} in {seconds:.2f}s",
        error=record.error,
    )
