"""What an import is made of: its record (one row of the `imports` table) and its counters.

A record is written when an import starts, rewritten with its progress while it runs, and
finally with its status and report. Counts are per source table (for an exporter `.sqlite`
file: `Metadata`, `Bars`, `Orders`, `Executions`) or per event type (NDJSON); each item (a
row, a line) is counted once: `new` when it appended at least one event, `duplicate` when
all its events were in the log already, `rejected` when it was refused (quarantined).
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# A running import writes its progress at least this often; a running record silent for
# STALE_AFTER is taken for one whose process died (see ImportStore.get).
PROGRESS_INTERVAL = timedelta(seconds=1)
STALE_AFTER = timedelta(seconds=60)
INTERRUPTED_ERROR = "stopped before the end; importing the file again appends only what is missing"


class ImportStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"  # every item read: appended, found in the log, or quarantined
    FAILED = "failed"  # the file could not be read to its end, or the store failed
    INTERRUPTED = "interrupted"  # stopped (Ctrl-C, shutdown, a crash) before the end


class ImportFormat(StrEnum):
    SQLITE = "sqlite"  # the older exporter's export file
    NDJSON = "ndjson"  # canonical events, one per line
    NDJSON_GZ = "ndjson.gz"


class Via(StrEnum):
    UPLOAD = "upload"
    CLI = "cli"
    WATCH = "watch"


class ProgressUnit(StrEnum):
    ROWS = "rows"
    BYTES = "bytes"  # NDJSON: how far into the file (compressed bytes for .gz)


@dataclass(slots=True)
class TableCounts:
    """What became of the items of one table (or event type)."""

    items: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "items": self.items,
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
        }


def counts_from_json(value: dict[str, Any]) -> dict[str, TableCounts]:
    return {table: TableCounts(**figures) for table, figures in value.items()}


def totals(counts: dict[str, TableCounts]) -> TableCounts:
    total = TableCounts()
    for figures in counts.values():
        total.items += figures.items
        total.new += figures.new
        total.duplicate += figures.duplicate
        total.rejected += figures.rejected
    return total


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One import of one file, as stored."""

    import_id: str
    source_name: str
    format: ImportFormat
    via: Via
    size_bytes: int
    sha256: str
    status: ImportStatus
    created_utc: datetime
    updated_utc: datetime
    progress_unit: ProgressUnit = ProgressUnit.ROWS
    progress_done: int = 0
    progress_total: int | None = None
    counts: dict[str, TableCounts] = field(default_factory=dict)
    run_id: str | None = None
    quarantined_by: str | None = None
    finished_utc: datetime | None = None
    error: str | None = None

    def with_changes(self, **changes: Any) -> "ImportRecord":
        return replace(self, **changes)

    @property
    def finished(self) -> bool:
        return self.status is not ImportStatus.RUNNING


def new_record(
    import_id: str,
    source_name: str,
    file_format: ImportFormat,
    via: Via,
    *,
    size_bytes: int,
    sha256: str,
    now: datetime,
) -> ImportRecord:
    """The record of an import about to start."""
    return ImportRecord(
        import_id=import_id,
        source_name=source_name,
        format=file_format,
        via=via,
        size_bytes=size_bytes,
        sha256=sha256,
        status=ImportStatus.RUNNING,
        created_utc=now,
        updated_utc=now,
    )
