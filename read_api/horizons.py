"""How far the projections reflect the log: the position every read answer carries.

A partition's checkpoint says which of *its* events are applied, not how far the log is: run
A at checkpoint 100 reflects position 5,000 when A's next event is at 5,001. So the horizon
of a partition is the position just before its first event not applied yet (the log head
when there is none), and the horizon of the whole store is the least of its partitions'.
The "analytics" kind uses each partition's `analytics_position` (trades, equity, metrics),
which trails `position` while the analytics are due.

Figures are read checkpoints first, log second: a checkpoint that advances in between only
makes the answer conservative, never wrong. A halted partition holds the horizon back; that
is the truth (its later events are not applied). Partitions the projector has not
discovered yet only have events after the discovery cursor, which one grouped query covers.
"""

from collections.abc import Mapping, Sequence
from typing import Literal

from sqlalchemy import ColumnElement, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from read_api.connections import reading
from schema.doorbell import CATALOG_PARTITION
from schema.tables import ingest_events
from schema.tables.log import partition_filter, run_id_for_grouping
from schema.tables.projections import DISCOVERY_CURSOR_KEY, checkpoints, projection_meta

Kind = Literal["projection", "analytics"]

_PARTITIONS_PER_QUERY = 200  # UNION ALL branches; SQLite allows 500 per compound select


async def log_head(log: AsyncEngine) -> int:
    """The last position in the log (0 when empty): what the log store itself reflects."""
    async with reading(log, "log") as conn:
        return int((await conn.execute(select(func.max(ingest_events.c.position)))).scalar() or 0)


async def partition_horizon(
    log: AsyncEngine, projections: AsyncEngine, partition: str, kind: Kind
) -> int:
    """The last log position whose events of `partition` are all applied (for `kind`)."""
    column = _applied_column(kind)
    async with reading(projections) as conn:
        query = select(column).where(checkpoints.c.partition == partition)
        applied = int((await conn.execute(query)).scalar() or 0)
    async with reading(log, "log") as conn:
        head = await _head(conn)
        first = await _first_pending(conn, [(partition, applied)], head)
    return min([head, *(position - 1 for position in first.values())])


async def store_horizon(log: AsyncEngine, projections: AsyncEngine, kind: Kind) -> int:
    """The last log position whose events are all applied, in every partition (for `kind`)."""
    column = _applied_column(kind)
    cursor_query = select(projection_meta.c.value).where(
        projection_meta.c.key == DISCOVERY_CURSOR_KEY
    )
    async with reading(projections) as conn:
        rows = (
            await conn.execute(
                select(checkpoints.c.partition, column, checkpoints.c.known_position)
            )
        ).all()
        cursor = int((await conn.execute(cursor_query)).scalar() or 0)
    applied = {name: int(done) for name, done, _ in rows}
    # Behind among the events discovery saw (those up to the cursor): known to be behind.
    behind = [(name, applied[name]) for name, done, known in rows if known > done]
    async with reading(log, "log") as conn:
        head = await _head(conn)
        first = await _first_pending(conn, behind, head)
        recent = await _recent_spans(conn, cursor, head)
        # After the cursor: each partition's new events either all lie after its checkpoint
        # (the first is pending), all before (none is), or straddle it (ask precisely).
        straddling = []
        for name, (low, high) in recent.items():
            done = applied.get(name, 0)
            if done < low:
                first[name] = min(first.get(name, low), low)
            elif done < high:
                straddling.append((name, done))
        for name, position in (await _first_pending(conn, straddling, head)).items():
            first[name] = min(first.get(name, position), position)
    return min([head, *(position - 1 for position in first.values())])


def _applied_column(kind: Kind) -> ColumnElement[int]:
    c = checkpoints.c
    return c.analytics_position if kind == "analytics" else c.position


async def _head(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.max(ingest_events.c.position)))).scalar() or 0)


async def _first_pending(
    conn: AsyncConnection, partitions: Sequence[tuple[str, int]], head: int
) -> dict[str, int]:
    """Each partition's first event after its applied position (up to `head`), if any."""
    e = ingest_events.c
    found: dict[str, int] = {}
    for start in range(0, len(partitions), _PARTITIONS_PER_QUERY):
        chunk = partitions[start : start + _PARTITIONS_PER_QUERY]
        # One index range on (run_id, position) per partition, many per round trip.
        query = union_all(
            *(
                select(literal(name), func.min(e.position)).where(
                    partition_filter(name), e.position > applied, e.position <= head
                )
                for name, applied in chunk
            )
        )
        for name, position in (await conn.execute(query)).all():
            if position is not None:
                found[name] = int(position)
    return found


async def _recent_spans(
    conn: AsyncConnection, cursor: int, head: int
) -> Mapping[str, tuple[int, int]]:
    """The first and last position of each partition's events after the discovery cursor."""
    e = ingest_events.c
    run_id = run_id_for_grouping()
    query = (
        select(run_id, func.min(e.position), func.max(e.position))
        .where(e.position > cursor, e.position <= head)
        .group_by(run_id)
    )
    return {
        (run_id if run_id is not None else CATALOG_PARTITION): (int(low), int(high))
        for run_id, low, high in (await conn.execute(query)).all()
    }
