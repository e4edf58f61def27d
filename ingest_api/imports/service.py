"""Imports the ingest process runs in the background: uploads outlive their request.

An upload is streamed to `<data dir>/uploads/<import id>.upload`, its record stored as
running, and its import started as a task of the process (not of the request), appending
through the same `Submitter` as the routes (so the projector's doorbell rings for it too).
The file is deleted when its import ends, whatever the outcome. At most `MAX_RUNNING`
uploads are received or imported at once; one more is refused with 503 and Retry-After.

Shutdown cancels running imports: they are recorded `interrupted`. A process that dies
instead leaves its imports `running` with no more progress; they are read back as
interrupted once stale (`ImportStore.get`), and the next start removes upload files whose
import is no longer running. An interrupted upload is not resumed: upload the file again
(what was appended is reported as duplicate).
"""

import asyncio
import uuid
from pathlib import Path

import structlog
from fastapi import Request

from ingest_api.imports.job import Clock, run_import
from ingest_api.imports.model import (
    INTERRUPTED_ERROR,
    ImportRecord,
    ImportStatus,
    Via,
    new_record,
)
from ingest_api.imports.source import detect_format
from ingest_api.imports.store import ImportStore
from ingest_api.imports.upload import receive_upload
from ingest_api.log_store import EventLog, Overloaded
from ingest_api.settings import IngestSettings
from ingest_api.submission import AfterAppend, Submitter
from schema.storage import is_sqlite

MAX_RUNNING = 4
UPLOAD_SUFFIX = ".upload"

logger = structlog.get_logger(__name__)


class TooManyImports(Overloaded):
    """Every import slot of this process is taken; retry later (503)."""

    def __init__(self, limit: int) -> None:
        Exception.__init__(self, f"{limit} imports are running in this process; retry later")
        self.pending = self.limit = limit


class ImportService:
    """The imports of one ingest process: their records, files and tasks."""

    def __init__(
        self,
        store: ImportStore,
        submitter: Submitter,
        *,
        uploads_dir: Path,
        clock: Clock,
    ) -> None:
        self.store = store
        self.uploads_dir = uploads_dir
        self.clock = clock
        self._submitter = submitter
        self._slots = 0
        self._tasks: dict[asyncio.Task[None], tuple[ImportRecord, Path]] = {}

    @classmethod
    async def open(
        cls, settings: IngestSettings, log: EventLog, *, after_append: AfterAppend, clock: Clock
    ) -> "ImportService":
        url = settings.resolved_log_url()
        store = ImportStore.open(
            url,
            synchronous=settings.sqlite_synchronous,
            pg_schema=None if is_sqlite(url) else settings.log_pg_schema,
        )
        service = cls(
            store,
            Submitter(log, after_append),
            uploads_dir=settings.data_dir / "uploads",
            clock=clock,
        )
        await service._remove_leftovers()
        return service

    async def receive(self, request: Request, *, max_bytes: int) -> ImportRecord:
        """Receive an upload and start its import; its record, status running."""
        if self._slots >= MAX_RUNNING:
            raise TooManyImports(MAX_RUNNING)
        self._slots += 1
        import_id = str(uuid.uuid4())
        path = self.uploads_dir / f"{import_id}{UPLOAD_SUFFIX}"
        try:
            upload = await receive_upload(request, path, max_bytes=max_bytes)
            file_format = await asyncio.to_thread(detect_format, path)
            record = new_record(
                import_id,
                upload.filename,
                file_format,
                Via.UPLOAD,
                size_bytes=upload.size_bytes,
                sha256=upload.sha256,
                now=self.clock(),
            )
            await self.store.create(record)
        except BaseException:
            self._slots -= 1
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        self._start(record, path)
        return record

    def _start(self, record: ImportRecord, path: Path) -> None:
        task = asyncio.create_task(self._run(record, path), name=f"import-{record.import_id}")
        self._tasks[task] = (record, path)
        task.add_done_callback(self._tasks.pop)

    async def close(self) -> None:
        """Cancel running imports (they are recorded interrupted) and release the store."""
        running = dict(self._tasks)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for record, path in running.values():  # one cancelled before it began did nothing
            await asyncio.to_thread(path.unlink, missing_ok=True)
            current = await self.store.get(record.import_id, self.clock())
            if current is not None and not current.finished:
                status = ImportStatus.INTERRUPTED
                await self.store.save(current.with_changes(status=status, error=INTERRUPTED_ERROR))
        await self.store.close()

    async def _run(self, record: ImportRecord, path: Path) -> None:
        try:
            await run_import(
                path, record, submitter=self._submitter, store=self.store, clock=self.clock
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("import crashed", import_id=record.import_id)
        finally:
            self._slots -= 1
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _remove_leftovers(self) -> None:
        """Delete upload files of imports no longer running (a crash left them behind)."""
        files = await asyncio.to_thread(_upload_files, self.uploads_dir)
        now = self.clock()
        for path in files:
            record = await self.store.get(path.name.removesuffix(UPLOAD_SUFFIX), now)
            if record is None or record.finished:
                await asyncio.to_thread(path.unlink, missing_ok=True)


def _upload_files(uploads_dir: Path) -> list[Path]:
    return sorted(uploads_dir.glob(f"*{UPLOAD_SUFFIX}")) if uploads_dir.is_dir() else []
