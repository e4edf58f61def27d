"""Tables of the log store: the append-only event log and the quarantine of rejected input.

Both live in the log database (for SQLite, its own file), never beside projections, so
ingest is never blocked by projector writes and projections can be rebuilt from here.
"""

from sqlalchemy import BigInteger, Column, ColumnElement, Index, Integer, MetaData, Table, Text

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
