"""The projection store: loading the rows a batch reads, flushing its writes, checkpoints.

Separate from the log store (its own SQLite file, or its own PostgreSQL schema). Rows are
read and written through projector/table_io.py: a batch's rows loaded with one query per
table, its writes batched per table as one `INSERT … ON CONFLICT` executemany. The
checkpoint advances by compare-and-set in the same transaction, so two workers can never both
apply a batch of the same partition: the second one's update matches no row and its
transaction rolls back.
"""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, case, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projector.state import Key, key_of
from projector.table_io import Statement, load_keys, table_sql, write_rows
from projector.writes import Read, Row
from schema.settings import SqliteSynchronous
from schema.storage import is_sqlite, make_engine
from schema.tables.projections import PROJECTION_METADATA, checkpoints, projection_meta
from schema.tables.types import UtcDateTime

# One lock per SQLite writer engine, shared by every store object on it.
_WRITE_LOCKS: "WeakKeyDictionary[AsyncEngine, asyncio.Lock]" = WeakKeyDictionary()


class CheckpointMoved(Exception):
    """Another worker advanced this partition first; this batch was not applied."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    partition: str
    position: int
    known_position: int
    applied_events: int
    updated_utc: datetime
    halted_position: int | None
    halted_event_id: str | None
    halted_error: str | None
    analytics_position: int = 0


class ProjectionStore:
    """Engines and statements for the projection database."""

    def __init__(self, writer: AsyncEngine, reader: AsyncEngine) -> None:
        self.writer = writer
        self.reader = reader
        self._insert = sqlite.insert if writer.dialect.name == "sqlite" else postgresql.insert

    @classmethod
    async def open(
        cls, url: str, *, synchronous: SqliteSynchronous = "FULL", pg_schema: str | None = None
    ) -> "ProjectionStore":
        writer = make_engine(url, role="writer", synchronous=synchronous, pg_schema=pg_schema)
        reader = make_engine(url, role="reader", synchronous=synchronous, pg_schema=pg_schema)
        if not is_sqlite(url):
            await reader.dispose()
            reader = writer
        async with writer.begin() as conn:
            if pg_schema and not is_sqlite(url):
                await conn.execute(text("SELECT pg_advisory_xact_lock(7321001)"))
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{pg_schema}"'))
            await conn.run_sync(PROJECTION_METADATA.create_all)
        return cls(writer, reader)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. SQLite has one writer at a time: this process's writers
        queue here, in order, instead of in SQLite's busy handler, which sleeps in steps of
        up to 100 ms (several catch-ups of one worker would otherwise wait on each other
        far longer than each takes)."""
        if self.writer.dialect.name != "sqlite":
            async with self.writer.begin() as conn:
                yield conn
            return
        lock = _WRITE_LOCKS.setdefault(self.writer, asyncio.Lock())
        async with lock, self.writer.begin() as conn:
            yield conn

    async def close(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    async def load(
        self, reads: Iterable[Read], conn: AsyncConnection | None = None
    ) -> dict[str, dict[Key, Row]]:
        """Current rows for every key read, by table (absent keys are simply missing); on
        `conn` when given (e.g. the batch's own write transaction)."""
        wanted: dict[str, set[Key]] = defaultdict(set)
        for read in reads:
            wanted[read.table].add(read.key)
        if conn is None:
            async with self.reader.connect() as own:
                return await _load(own, wanted)
        return await _load(conn, wanted)

    async def flush(
        self, conn: AsyncConnection, changes: Mapping[str, tuple[list[Row], list[Row], list[Row]]]
    ) -> None:
        """Write a batch's rows: upserts replace, inserts-if-absent and appends never do."""
        for name, (upserts, inserts, appends) in changes.items():
            table = table_sql(conn, name)
            await write_rows(conn, table.upsert, table, upserts)
            await write_rows(conn, table.insert_if_absent, table, [*inserts, *appends])

    async def checkpoint(self, partition: str) -> Checkpoint | None:
        async with self.reader.connect() as conn:
            found = await _CHECKPOINT.fetch(conn, partition=partition)
            rows = table_sql(conn, "checkpoints").rows(found)
        return Checkpoint(**rows[0]) if rows else None

    async def all_checkpoints(self) -> list[Checkpoint]:
        async with self.reader.connect() as conn:
            rows = table_sql(conn, "checkpoints").rows(await _ALL_CHECKPOINTS.fetch(conn))
        return [Checkpoint(**row) for row in rows]

    async def ensure_partitions(
        self, conn: AsyncConnection, known: Mapping[str, int], now: datetime
    ) -> None:
        """Create checkpoint rows for new partitions and raise their known positions."""
        if not known:
            return
        rows = [
            {
                "partition": p,
                "position": 0,
                "known_position": k,
                "applied_events": 0,
                "updated_utc": now,
            }
            for p, k in sorted(known.items())
        ]
        statement = self._insert(checkpoints)
        known_position = statement.excluded.known_position
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["partition"],
                set_={"known_position": _greatest(checkpoints.c.known_position, known_position)},
            ),
            rows,
        )

    async def advance(
        self,
        conn: AsyncConnection,
        partition: str,
        expected: int,
        position: int,
        applied: int,
        now: datetime,
        *,
        analytics_unaffected: bool = False,
    ) -> None:
        """Compare-and-set the checkpoint from `expected` to `position`.

        `analytics_unaffected`: the batch changed nothing the analytics read, so analytics
        that were current at `expected` stay current at `position`.
        """
        statement = _ADVANCE_CARRYING_ANALYTICS if analytics_unaffected else _ADVANCE
        changed = await statement.execute(
            conn,
            partition=partition,
            expected=expected,
            position=position,
            applied=applied,
            now=table_sql(conn, "checkpoints").value("updated_utc", now),
        )
        if changed != 1:
            raise CheckpointMoved(partition)

    async def claim_analytics(self, conn: AsyncConnection, checkpoint: Checkpoint) -> bool:
        """Compare-and-set the analytics position up to the checkpoint's position: False when
        the partition moved since `checkpoint` was read (whoever moved it analyzes it)."""
        changed = await _CLAIM_ANALYTICS.execute(
            conn,
            partition=checkpoint.partition,
            position=checkpoint.position,
            analytics=checkpoint.analytics_position,
        )
        return changed == 1

    async def halt(
        self, conn: AsyncConnection, partition: str, position: int, event_id: str, error: str
    ) -> None:
        await _HALT.execute(
            conn, partition=partition, position=position, event_id=event_id, error=error
        )

    async def resume(self, partition: str) -> bool:
        """Clear a halt so the partition is retried; True if it was halted."""
        async with self.transaction() as conn:
            result = await conn.execute(
                update(checkpoints)
                .where(
                    checkpoints.c.partition == partition, checkpoints.c.halted_position.isnot(None)
                )
                .values(halted_position=None, halted_event_id=None, halted_error=None)
            )
        return bool(result.rowcount)

    async def get_meta(self, key: str) -> str | None:
        query = select(projection_meta.c.value).where(projection_meta.c.key == key)
        async with self.reader.connect() as conn:
            value: str | None = (await conn.execute(query)).scalar()
        return value

    async def set_meta(self, conn: AsyncConnection, key: str, value: str) -> None:
        statement = self._insert(projection_meta)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": statement.excluded.value}
            ),
            [{"key": key, "value": value}],
        )


def _greatest(a: Any, b: Any) -> Any:
    """max(a, b) in SQL, spelled the same on SQLite and PostgreSQL."""
    return case((a >= b, a), else_=b)


# The statements every batch runs, compiled once (projector/table_io.py: one trip each).
_c = checkpoints.c
_PARTITION = _c.partition == bindparam("partition")
_CHECKPOINT = Statement(select(checkpoints).where(_PARTITION))
_ALL_CHECKPOINTS = Statement(select(checkpoints).order_by(_c.partition))
_MOVED = {
    "position": bindparam("position"),
    "known_position": _greatest(_c.known_position, bindparam("position")),
    "applied_events": _c.applied_events + bindparam("applied"),
    "updated_utc": bindparam("now", type_=UtcDateTime),
}
_ADVANCE_WHERE = (_PARTITION, _c.position == bindparam("expected"))
_ADVANCE = Statement(update(checkpoints).where(*_ADVANCE_WHERE).values(_MOVED))
_ADVANCE_CARRYING_ANALYTICS = Statement(
    update(checkpoints)
    .where(*_ADVANCE_WHERE)
    .values(
        {
            **_MOVED,
            "analytics_position": case(
                (_c.analytics_position == bindparam("expected"), bindparam("position")),
                else_=_c.analytics_position,
            ),
        }
    )
)
_CLAIM_ANALYTICS = Statement(
    update(checkpoints)
    .where(
        _PARTITION,
        _c.position == bindparam("position"),
        _c.analytics_position == bindparam("analytics"),
    )
    .values(analytics_position=bindparam("position"))
)
_HALT = Statement(
    update(checkpoints)
    .where(_PARTITION)
    .values(
        halted_position=bindparam("position"),
        halted_event_id=bindparam("event_id"),
        halted_error=bindparam("error"),
    )
)


async def _load(conn: AsyncConnection, wanted: Mapping[str, set[Key]]) -> dict[str, dict[Key, Row]]:
    loaded: dict[str, dict[Key, Row]] = {}
    for name, keys in wanted.items():
        rows = await load_keys(conn, table_sql(conn, name), list(keys))
        loaded[name] = {key_of(name, row): row for row in rows}
    return loaded
