"""A log that already holds many events, because an empty log flatters SQLite (DESIGN §9.1).

The tables come from the product's own metadata (`schema.tables.LOG_METADATA`), so the
baseline and the server append into exactly the same shape; the rows are written with the
stdlib sqlite3 module in large transactions (PostgreSQL: `COPY`), the fastest way to fill
it. Column values are stored as SQLAlchemy stores them, so the product reads them back
unchanged; an event without a time of its own gets its received time, as the log store does.
"""

import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import asyncpg
from sqlalchemy import create_engine

from bench.events import LogEvent
from schema.tables import LOG_METADATA

INSERT = (
    "INSERT INTO ingest_events (position, event_id, event_type, schema_version, run_id,"
    " event_utc, received_utc, payload, source) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)"
)
_CHUNK = 50_000
Row = tuple[int, str, str, str | None, str, str, str, str]


def sqlite_time(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy's SQLite DateTime stores it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def rows(
    events: Iterable[LogEvent], first_position: int, received: datetime, source: str
) -> Iterator[Row]:
    """ingest_events rows for `events`, positions counting up from `first_position`."""
    received_text = sqlite_time(received)
    for position, event in enumerate(events, start=first_position):
        occurred = sqlite_time(event.occurred) if event.occurred else received_text
        yield (position, event.event_id, event.event_type, event.run_id, occurred,
               received_text, event.payload.decode(), source)  # fmt: skip


def create_log(path: Path, events: Iterable[LogEvent]) -> int:
    """A new log file at `path` holding `events` at positions 1..n; returns n."""
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    LOG_METADATA.create_all(engine)
    engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    written = 0
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # a crash here only loses a bench file
        source = rows(events, 1, datetime.now(UTC), "bench-prefill")
        while chunk := list(islice(source, _CHUNK)):
            connection.execute("BEGIN")
            connection.executemany(INSERT, chunk)
            connection.execute("COMMIT")
            written += len(chunk)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return written


async def copy_log_to_postgres(log: Path, dsn: str, schema: str) -> int:
    """The SQLite log at `log` copied into `schema`.ingest_events (created by the product
    beforehand); returns the rows copied."""
    source = sqlite3.connect(log)
    connection = await asyncpg.connect(dsn)
    copied = 0
    try:
        cursor = source.execute(
            "SELECT position, event_id, event_type, schema_version, run_id, event_utc,"
            " received_utc, payload, source FROM ingest_events ORDER BY position"
        )
        while chunk := cursor.fetchmany(_CHUNK):
            records = [
                (p, i, t, v, r, _aware(e), _aware(rc), body, s)
                for p, i, t, v, r, e, rc, body, s in chunk
            ]
            await connection.copy_records_to_table(
                "ingest_events", records=records, schema_name=schema
            )
            copied += len(records)
    finally:
        await connection.close()
        source.close()
    return copied


def _aware(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def copy_log(template: Path, target: Path) -> None:
    """A copy of a checkpointed log file (no -wal beside it), to append to."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


def count_events(path: Path) -> tuple[int, int]:
    """(rows, highest position) of the log at `path`."""
    connection = sqlite3.connect(path)
    try:
        count, head = connection.execute(
            "SELECT count(*), coalesce(max(position), 0) FROM ingest_events"
        ).fetchone()
    finally:
        connection.close()
    return int(count), int(head)
