"""Tables of the log store: the append-only event log, the quarantine of rejected input, the
record of file imports and of admin jobs.

All live in the log database (for SQLite, its own file), never beside projections, so
ingest is never blocked by projector writes and projections can be rebuilt from here.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    literal_column,
)

from schema.doorbell import CATALOG_PARTITION
from schema.tables.types import UtcDateTime

LOG_METADATA = MetaData()

ingest_events = Table(
    "ingest_events",
    LOG_METADATA,
    # Assigned by the appender under its write lock: contiguous per batch, the only order
    # that projector and replay use.
    Column(
        "position",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("event_id", Text, nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("run_id", Text, nullable=True),
    Column("event_utc", UtcDateTime, nullable=False),
    Column("received_utc", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("source", Text, nullable=False),
)
Index("ix_ingest_events_run_position", ingest_events.c.run_id, ingest_events.c.position)


def partition_filter(partition: str) -> ColumnElement[bool]:
    """The events of a projector partition: a run's (by run id), or the catalog's (no run)."""
    run_id = ingest_events.c.run_id
    return run_id.is_(None) if partition == CATALOG_PARTITION else run_id == partition


def run_id_for_grouping() -> ColumnElement[str]:
    """`run_id` to GROUP BY over a position range: an expression, not the column, because on
    the column SQLite walks the whole (run_id, position) index for its order instead of the
    primary-key range. NULL (the catalog) stays NULL."""
    return ingest_events.c.run_id.concat(literal_column("''"))


quarantine = Table(
    "quarantine",
    LOG_METADATA,
    # Assigned by the appender under its write lock, like positions.
    Column(
        "quarantine_id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("received_utc", UtcDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("item_index", Integer, nullable=False),
    Column("event_id", Text, nullable=True),
    Column("event_type", Text, nullable=True),
    Column("run_id", Text, nullable=True),
    Column("raw", Text, nullable=False, doc="The item exactly as received (JSON or raw text)."),
    Column("errors", Text, nullable=False, doc="JSON list of {field, message}."),
    Column("status", Text, nullable=False, default="OPEN", doc="OPEN or RESUBMITTED."),
    Column("resubmitted_position", BigInteger, nullable=True),
)
Index("ix_quarantine_run", quarantine.c.run_id, quarantine.c.quarantine_id)

imports = Table(
    "imports",
    LOG_METADATA,
    # One row per import of a file (`stratlog import`, the upload route): its progress while
    # it runs, then its report. Written by ingest_api/imports; the events it appended carry
    # `source` "import:<sha256 prefix>:<table>".
    Column("import_id", Text, primary_key=True),
    Column("source_name", Text, nullable=False, doc="The file's name as given."),
    Column("format", Text, nullable=False, doc="sqlite, ndjson or ndjson.gz."),
    Column("via", Text, nullable=False, doc="upload, cli or watch."),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("status", Text, nullable=False, doc="running, completed, failed or interrupted."),
    Column("run_id", Text, nullable=True, doc="The run a .sqlite export became."),
    Column("progress_unit", Text, nullable=False, doc="rows or bytes."),
    Column("progress_done", BigInteger, nullable=False),
    Column("progress_total", BigInteger, nullable=True),
    Column("counts", Text, nullable=False, doc="JSON: {table: {items, new, duplicate, rejected}}"),
    Column("quarantined_by", Text, nullable=True, doc="Earlier import that quarantined its rows."),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("updated_utc", UtcDateTime, nullable=False, doc="Last progress write: a heartbeat."),
    Column("finished_utc", UtcDateTime, nullable=True),
    Column("error", Text, nullable=True),
)
Index("ix_imports_sha256", imports.c.sha256, imports.c.status)

admin_jobs = Table(
    "admin_jobs",
    LOG_METADATA,
    # One row per admin job started over HTTP (rebuild, verify, replay): its progress while it
    # runs, then its outcome. Written by stratlog/admin; readable by every admin process.
    Column("job_id", Text, primary_key=True),
    Column("kind", Text, nullable=False, doc="rebuild, verify or replay."),
    Column("arguments", Text, nullable=False, doc="JSON: what was asked, never a credential."),
    Column("status", Text, nullable=False, doc="running, succeeded, failed, cancelled, ..."),
    Column("requested_by", Text, nullable=False, doc="Who asked: a key id or a user name."),
    Column("progress", Text, nullable=True, doc="JSON: done, total, rate, eta_seconds."),
    Column("result", Text, nullable=True, doc="JSON: the job's report."),
    Column("error", Text, nullable=True),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("updated_utc", UtcDateTime, nullable=False, doc="Last progress write: a heartbeat."),
    Column("finished_utc", UtcDateTime, nullable=True),
)
Index("ix_admin_jobs_created", admin_jobs.c.created_utc)
