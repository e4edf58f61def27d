"""The baseline of ingest: raw appends with the stdlib sqlite3 module, no server, no validation.

Rows go into the product's own `ingest_events` table (same UNIQUE event_id index) of a log
already holding the prefill, in WAL mode with synchronous=FULL, one `BEGIN IMMEDIATE` ...
`COMMIT` per batch: what SQLite itself allows on this machine for that batch size, which is
the ceiling the HTTP figures are divided by. `append_paced` offers batches at a fixed rate
instead, for the latency baseline.
"""

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.events import LogEvent
from bench.prefill import INSERT, Row, rows
from bench.stats import Sample


def _open(path: Path) -> tuple[sqlite3.Connection, int]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    (head,) = connection.execute("SELECT coalesce(max(position), 0) FROM ingest_events").fetchone()
    return connection, int(head)


def _batches(events: Sequence[LogEvent], head: int, size: int) -> list[list[Row]]:
    prepared = list(rows(events, head + 1, datetime.now(UTC), "bench-baseline"))
    return [prepared[i : i + size] for i in range(0, len(prepared), size)]


def _commit(connection: sqlite3.Connection, batch: list[Row]) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(INSERT, batch)
    connection.execute("COMMIT")


def append_batches(path: Path, events: Sequence[LogEvent], batch_size: int) -> Sample:
    """Append `events` in transactions of `batch_size`, as fast as it goes."""
    connection, head = _open(path)
    try:
        batches = _batches(events, head, batch_size)
        latencies: list[float] = []
        started = time.perf_counter()
        for batch in batches:
            call_started = time.perf_counter()
            _commit(connection, batch)
            latencies.append(time.perf_counter() - call_started)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return Sample(len(events), elapsed, tuple(latencies))


def append_paced(path: Path, events: Sequence[LogEvent], batch_size: int, rate: float) -> Sample:
    """Offer a batch every `batch_size / rate` seconds; each latency runs from when the batch
    was due (so time spent waiting behind a slow commit counts)."""
    connection, head = _open(path)
    try:
        batches = _batches(events, head, batch_size)
        latencies: list[float] = []
        started = time.perf_counter()
        for index, batch in enumerate(batches):
            due = started + index * batch_size / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            _commit(connection, batch)
            latencies.append(time.perf_counter() - due)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return Sample(len(events), elapsed, tuple(latencies))
