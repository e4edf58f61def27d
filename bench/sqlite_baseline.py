"""The baseline: raw appends with the stdlib sqlite3 module, no server, no validation.

Rows go into the product's own `ingest_events` table (same UNIQUE event_id index) of a log
already holding the prefill, in WAL mode with synchronous=FULL, one `BEGIN IMMEDIATE` ...
`COMMIT` per batch: what SQLite itself allows on this machine for that batch size, which is
the ceiling the HTTP figures are divided by.
"""

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.events import BenchEvent
from bench.prefill import INSERT, rows, sqlite_time
from bench.stats import Sample


def append_batches(path: Path, events: list[BenchEvent], batch_size: int) -> Sample:
    """Append `events` in transactions of `batch_size`, after the log's current head."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        (head,) = connection.execute(
            "SELECT coalesce(max(position), 0) FROM ingest_events"
        ).fetchone()
        received = sqlite_time(datetime.now(UTC))
        prepared = list(rows(events, int(head) + 1, received, "bench-baseline"))
        batches = [prepared[i : i + batch_size] for i in range(0, len(prepared), batch_size)]
        latencies: list[float] = []
        started = time.perf_counter()
        for batch in batches:
            call_started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(INSERT, batch)
            connection.execute("COMMIT")
            latencies.append(time.perf_counter() - call_started)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return Sample(len(prepared), elapsed, tuple(latencies))
