"""An import as the API answers it and the CLI prints it: progress, then the final report.

The same model is the body of `POST /api/ingest/upload` (202), of `GET
/api/ingest/imports/{id}`, the `--json` output of `stratlog import` and the report a watched
folder keeps beside each file it processed.
"""

from datetime import datetime

from pydantic import BaseModel, Field

from ingest_api.imports.model import (
    ImportFormat,
    ImportRecord,
    ImportStatus,
    ProgressUnit,
    TableCounts,
    Via,
    totals,
)


class Counts(BaseModel):
    """What became of the items of one table (or event type): each is counted once."""

    items: int = Field(description="Rows (lines) read.")
    new: int = Field(description="Appended at least one event.")
    duplicate: int = Field(description="All its events were in the log already.")
    rejected: int = Field(description="Refused: quarantined (or by an earlier import).")

    @classmethod
    def of(cls, figures: TableCounts) -> "Counts":
        return cls(**figures.as_json())


class Progress(BaseModel):
    unit: ProgressUnit = Field(description="rows (.sqlite) or bytes into the file (NDJSON).")
    done: int
    total: int | None


class ImportReport(BaseModel):
    """One import of one file."""

    import_id: str
    source_name: str = Field(description="The file's name as uploaded or given.")
    format: ImportFormat
    via: Via
    size_bytes: int
    sha256: str
    status: ImportStatus
    run_id: str | None = Field(description="The run a .sqlite export became.")
    progress: Progress
    counts: dict[str, Counts] = Field(
        description="Per table (Metadata: the run's derived events; Bars, Orders, "
        "Executions), or per event type for NDJSON."
    )
    totals: Counts
    quarantined_by: str | None = Field(
        description="When set, an earlier import of the same file quarantined the rejected "
        "items; this one did not again."
    )
    created_utc: datetime
    updated_utc: datetime
    finished_utc: datetime | None
    error: str | None = Field(description="Why it failed or was interrupted.")

    @classmethod
    def of(cls, record: ImportRecord) -> "ImportReport":
        return cls(
            import_id=record.import_id,
            source_name=record.source_name,
            format=record.format,
            via=record.via,
            size_bytes=record.size_bytes,
            sha256=record.sha256,
            status=record.status,
            run_id=record.run_id,
            progress=Progress(
                unit=record.progress_unit, done=record.progress_done, total=record.progress_total
            ),
            counts={table: Counts.of(figures) for table, figures in record.counts.items()},
            totals=Counts.of(totals(record.counts)),
            quarantined_by=record.quarantined_by,
            created_utc=record.created_utc,
            updated_utc=record.updated_utc,
            finished_utc=record.finished_utc,
            error=record.error,
        )


class ImportList(BaseModel):
    """The latest imports, newest first."""

    items: list[ImportReport]
