"""Reading the event log from the projector's side: a partition's events, and discovery.

The projector never writes the log. It reads one partition's events after its checkpoint
(run events by `run_id`, catalog events where `run_id` is null), and discovers which
partitions have new events by scanning (position, run_id) after a cursor.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from projector.table_io import fetch
from schema.doorbell import CATALOG_PARTITION, partition_key
from schema.tables import ingest_events
from schema.tables.log import partition_filter


@dataclass(slots=True)  # not frozen: made per event, and frozen dataclasses are slow to make
class LogRecord:
    position: int
    event_id: str
    payload: str


class LogFeed:
    """Read-only access to the log store's `ingest_events`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def partition_events(self, partition: str, after: int, limit: int) -> list[LogRecord]:
        """Up to `limit` events of `partition` after position `after`, in log order."""
        # Plain SQL: nothing read here needs a conversion, and it runs once per batch.
        params: tuple[str | int, ...] = (after, limit)
        in_partition = "run_id IS NULL"
        if partition != CATALOG_PARTITION:
            params, in_partition = (partition, *params), "run_id = {}"
        marks = [f"${n}" for n in range(1, len(params) + 1)]
        if self.engine.dialect.paramstyle == "qmark":
            marks = ["?"] * len(params)
        query = (
            f"SELECT position, event_id, payload FROM ingest_events WHERE {in_partition}"
            " AND position > {} ORDER BY position LIMIT {}"
        ).format(*marks)
        async with self.engine.connect() as conn:
            rows = cast(Sequence[tuple[int, str, str]], await fetch(conn, query, params))
        return [LogRecord(*row) for row in rows]

    async def discover(self, after: int, limit: int) -> tuple[int, dict[str, int]]:
        """Partitions with events after `after`: (last position scanned, {partition: max})."""
        c = ingest_events.c
        query = select(c.position, c.run_id).where(c.position > after).order_by(c.position)
        async with self.engine.connect() as conn:
            rows: Sequence[tuple[int, str | None]] = (await conn.execute(query.limit(limit))).all()
        seen: dict[str, int] = {}
        for position, run_id in rows:
            seen[partition_key(run_id)] = position
        return (rows[-1][0] if rows else after), seen

    async def head(self) -> int:
        async with self.engine.connect() as conn:
            value = (await conn.execute(select(func.max(ingest_events.c.position)))).scalar()
        return int(value or 0)

    async def received_at(self, position: int) -> datetime | None:
        """When the event at `position` was received (for lag in seconds)."""
        query = select(ingest_events.c.received_utc).where(ingest_events.c.position == position)
        async with self.engine.connect() as conn:
            value: datetime | None = (await conn.execute(query)).scalar()
        return value

    async def count_after(self, partition: str, after: int) -> int:
        c = ingest_events.c
        in_partition = partition_filter(partition)
        query = select(func.count()).where(in_partition, c.position > after)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
