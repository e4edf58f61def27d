"""The raw projector loop of DESIGN §9.1, the baseline of catch-up, lag and rebuild: read a
page of the log, parse each payload, upsert the page into one keyed table and write a
checkpoint, in one transaction, with the stdlib sqlite3 module (synchronous=FULL).

Kept apart from the benchmarks that use it, with nothing but the standard library and orjson
imported, so that its process measures the loop's own memory:

    .venv/bin/python -m bench.raw_loop LOG   # the whole log; prints the seconds it took
"""

import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson

PAGE = 1000
# The key a raw upsert replaces by, per event type: what a projection keys its row by.
_KEYS = {
    "bar.closed": ("symbol", "ts_utc"),
    "execution.recorded": ("execution_id",),
    "order.submitted": ("order_id",),
    "order.updated": ("order_id",),
    "oco.group_created": ("oco_group_id",),
    "oco.order_linked": ("oco_group_id", "order_id"),
    "instrument.defined": ("symbol",),
    "strategy.registered": ("strategy_id",),
    "instance.registered": ("instance_id",),
    "run.heartbeat": ("ts_utc",),
}
ROWS_TABLE = (
    "CREATE TABLE raw_rows (run_id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
    " body TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (run_id, kind, key))"
)
CHECKPOINT_TABLE = "CREATE TABLE raw_checkpoint (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
SELECT_PAGE = (
    "SELECT position, event_type, run_id, payload FROM ingest_events WHERE position > {0}"
    " ORDER BY position LIMIT {1}"
)


def raw_row(position: int, event_type: str, run_id: str | None, payload: str) -> tuple[Any, ...]:
    """The row the raw loop upserts for one log row (the payload parsed, its key taken)."""
    document = orjson.loads(payload)
    key = "|".join(str(document.get(name, "")) for name in _KEYS.get(event_type, ()))
    return (run_id or "", event_type, key, payload, position)


def raw_sink(target: Path) -> sqlite3.Connection:
    """A new SQLite file for the raw loop's rows and checkpoint (WAL, synchronous=FULL)."""
    sink = sqlite3.connect(target, isolation_level=None)
    sink.execute("PRAGMA journal_mode=WAL")
    sink.execute("PRAGMA synchronous=FULL")
    sink.execute(ROWS_TABLE)
    sink.execute(CHECKPOINT_TABLE)
    return sink


def raw_step(source: sqlite3.Connection, sink: sqlite3.Connection, position: int) -> int:
    """One turn of the raw loop: the page after `position` read, parsed and upserted with its
    checkpoint in one transaction; the new position (unchanged when there was nothing)."""
    page = source.execute(SELECT_PAGE.format("?", "?"), (position, PAGE)).fetchall()
    if not page:
        return position
    rows = [raw_row(*row) for row in page]
    sink.execute("BEGIN")
    sink.executemany("INSERT OR REPLACE INTO raw_rows VALUES (?, ?, ?, ?, ?)", rows)
    sink.execute("INSERT OR REPLACE INTO raw_checkpoint VALUES ('all', ?)", (page[-1][0],))
    sink.execute("COMMIT")
    return int(page[-1][0])


def raw_loop_sqlite(log: Path, target: Path) -> float:
    """Seconds for the raw loop over the whole SQLite log into a new SQLite file."""
    with closing(sqlite3.connect(log)) as source, closing(raw_sink(target)) as sink:
        started, position, previous = time.perf_counter(), 0, -1
        while position != previous:
            previous, position = position, raw_step(source, sink, position)
        return time.perf_counter() - started


def main() -> None:
    """The loop over the log named on the command line, into a file beside it (removed)."""
    log = Path(sys.argv[1])
    target = log.with_suffix(".raw.sqlite3")
    print(raw_loop_sqlite(log, target))
    for path in target.parent.glob(f"{target.name}*"):
        path.unlink()


if __name__ == "__main__":
    main()
