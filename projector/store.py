"""The projection store: loading the rows a batch reads, flushing its writes, checkpoints.

Separate from the log store (its own SQLite file, or its own PostgreSQL schema). Writes are
batched per table as `INSERT … ON CONFLICT` executemany; the checkpoint advances by
compare-and-set in the same transaction, so two workers can never both apply a batch of the
same partition: the second one's update matches no row and its transaction rolls back.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projector.state import PRIMARY_KEYS, Key
from projector.writes import Read, Row
from schema.settings import SqliteSynchronous
from schema.storage import is_sqlite, make_engine
from schema.tables.projections import PROJECTION_METADATA, checkpoints, projection_meta

_CHUNK = 400
TABLES: Mapping[str, Table] = PROJECTION_METADATA.tables


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

    async def close(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    async def load(self, reads: Iterable[Read]) -> dict[str, dict[Key, Row]]:
        """Current rows for every key read, by table (absent keys are simply missing)."""
        wanted: dict[str, set[Key]] = defaultdict(set)
        for read in reads:
            wanted[read.table].add(read.key)
        loaded: dict[str, dict[Key, Row]] = {}
        async with self.reader.connect() as conn:
            for name, keys in wanted.items():
                loaded[name] = await _load_table(conn, TABLES[name], sorted(keys, key=repr))
        return loaded

    async def flush(
        self, conn: AsyncConnection, changes: Mapping[str, tuple[list[Row], list[Row], list[Row]]]
    ) -> None:
        """Write a batch's rows: upserts replace, inserts-if-absent and appends never do."""
        for name, (upserts, inserts, appends) in changes.items():
            table = TABLES[name]
            keys = PRIMARY_KEYS[name]
            if upserts:
                statement = self._insert(table)
                replace = {
                    c.name: statement.excluded[c.name] for c in table.c if c.name not in keys
                }
                await conn.execute(
                    statement.on_conflict_do_update(index_elements=keys, set_=replace), upserts
                )
            for rows in (inserts, appends):
                if rows:
                    statement = self._insert(table).on_conflict_do_nothing(index_elements=keys)
                    await conn.execute(statement, rows)

    async def checkpoint(self, partition: str) -> Checkpoint | None:
        query = select(checkpoints).where(checkpoints.c.partition == partition)
        async with self.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return Checkpoint(**row._mapping) if row else None

    async def all_checkpoints(self) -> list[Checkpoint]:
        async with self.reader.connect() as conn:
            rows = (await conn.execute(select(checkpoints).order_by(checkpoints.c.partition))).all()
        return [Checkpoint(**row._mapping) for row in rows]

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
        c = checkpoints.c
        values: dict[str, Any] = {
            "position": position,
            "known_position": _greatest(c.known_position, position),
            "applied_events": c.applied_events + applied,
            "updated_utc": now,
        }
        if analytics_unaffected:
            values["analytics_position"] = case(
                (c.analytics_position == expected, position), else_=c.analytics_position
            )
        result = await conn.execute(
            update(checkpoints)
            .where(c.partition == partition, c.position == expected)
            .values(values)
        )
        if result.rowcount != 1:
            raise CheckpointMoved(partition)

    async def claim_analytics(self, conn: AsyncConnection, checkpoint: Checkpoint) -> bool:
        """Compare-and-set the analytics position up to the checkpoint's position: False when
        the partition moved since `checkpoint` was read (whoever moved it analyzes it)."""
        c = checkpoints.c
        result = await conn.execute(
            update(checkpoints)
            .where(
                c.partition == checkpoint.partition,
                c.position == checkpoint.position,
                c.analytics_position == checkpoint.analytics_position,
            )
            .values(analytics_position=checkpoint.position)
        )
        return bool(result.rowcount == 1)

    async def halt(
        self, conn: AsyncConnection, partition: str, position: int, event_id: str, error: str
    ) -> None:
        await conn.execute(
            update(checkpoints)
            .where(checkpoints.c.partition == partition)
            .values(halted_position=position, halted_event_id=event_id, halted_error=error)
        )

    async def resume(self, partition: str) -> bool:
        """Clear a halt so the partition is retried; True if it was halted."""
        async with self.writer.begin() as conn:
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


def _keys_in(columns: Sequence[ColumnElement[Any]], keys: Sequence[Key]) -> ColumnElement[bool]:
    """Rows whose primary key is one of `keys`, as an index can answer it: a composite key as
    `prefix = … AND last IN (…)` per prefix (SQLite 3.40 scans the whole table for a
    `(a, b) IN (VALUES …)`, so loading got slower as the store grew)."""
    *prefix, last = columns
    if not prefix:
        return last.in_([key[0] for key in keys])
    by_prefix: dict[tuple[Any, ...], list[Any]] = {}
    for key in keys:
        by_prefix.setdefault(tuple(key[:-1]), []).append(key[-1])
    return or_(
        *(
            and_(
                *(column == value for column, value in zip(prefix, values, strict=True)),
                last.in_(lasts),
            )
            for values, lasts in by_prefix.items()
        )
    )


def _greatest(a: Any, b: Any) -> Any:
    """max(a, b) in SQL, spelled the same on SQLite and PostgreSQL."""
    return case((a >= b, a), else_=b)


async def _load_table(conn: AsyncConnection, table: Table, keys: list[Key]) -> dict[Key, Row]:
    key_columns = [table.c[name] for name in PRIMARY_KEYS[table.name]]
    found: dict[Key, Row] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        condition = _keys_in(key_columns, chunk)
        for row in (await conn.execute(select(table).where(condition))).all():
            mapping = dict(row._mapping)
            found[tuple(mapping[c.name] for c in key_columns)] = mapping
    return found
