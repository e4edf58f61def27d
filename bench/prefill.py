"""A log file that already holds many events, because an empty log flatters SQLite (§9.1).

The tables come from the product's own metadata (`schema.tables.LOG_METADATA`), so the
baseline and the server append into exactly the same shape; the rows are written with the
stdlib sqlite3 module in large transactions, which is the fastest way to fill it. Column
values are stored as SQLAlchemy stores them, so the product reads them back unchanged.
"""

import shutil
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from bench.events import BenchEvent, bars
from schema.tables import LOG_METADATA

INSERT = (
    "INSERT INTO ingest_events (position, event_id, event_type, schema_version, run_id,"
    " event_utc, received_utc, payload, source) VALUES (?, ?, 'bar.closed', 1, ?, ?, ?, ?, ?)"
)
_CHUNK = 50_000


def sqlite_time(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy's SQLite DateTime stores it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def rows(
    events: Iterable[BenchEvent], first_position: int, received: str, source: str
) -> Iterable[tuple[int, str, str, str, str, str, str]]:
    """ingest_events rows for `events`, positions counting up from `first_position`."""
    for position, event in enumerate(events, start=first_position):
        yield (
            position,
            event.event_id,
            event.run_id,
            sqlite_time(event.ts_utc),
            received,
            event.payload.decode(),
            source,
        )


def create_log(path: Path, events: int, runs: int = 8) -> None:
    """A new log file at `path` holding bars 0..events-1 (over `runs` runs) at positions
    1..events."""
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    LOG_METADATA.create_all(engine)
    engine.dispose()
    received = sqlite_time(datetime.now(UTC))
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # a crash here only loses a bench file
        for start in range(0, events, _CHUNK):
            count = min(_CHUNK, events - start)
            connection.execute("BEGIN")
            connection.executemany(
                INSERT, rows(bars(start, count, runs), start + 1, received, "bench-prefill")
            )
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


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
