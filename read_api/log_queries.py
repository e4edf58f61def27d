"""The reads behind the raw-event routes, on the log store's `ingest_events`.

Events are read in log order (`position`, the primary key) after a position, so a page costs
one index range: a run's events through `ix_ingest_events_run_position`, a range of the whole
log through the primary key. A type filter narrows the range it reads; it has no index of its
own, so a rare type may read far to fill a page. The payload comes back as the canonical JSON
text the log stores.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from schema.tables import ingest_events

_e = ingest_events.c
_COLUMNS = (
    _e.position,
    _e.event_id,
    _e.event_type,
    _e.schema_version,
    _e.run_id,
    _e.event_utc,
    _e.received_utc,
    _e.source,
    _e.payload,
)

LogRow = Sequence[Any]  # the values of _COLUMNS, in that order


async def run_logged(conn: AsyncConnection, run_id: str) -> bool:
    """Whether the log holds any event of `run_id`."""
    query = select(_e.position).where(_e.run_id == run_id).limit(1)
    return (await conn.execute(query)).first() is not None


async def _page(
    conn: AsyncConnection, where: Sequence[ColumnElement[bool]], types: Sequence[str], limit: int
) -> Sequence[LogRow]:
    query = select(*_COLUMNS).where(*where)
    if types:
        query = query.where(_e.event_type.in_(list(types)))
    return (await conn.execute(query.order_by(_e.position).limit(limit))).all()


async def run_events(
    conn: AsyncConnection, run_id: str, after: int, types: Sequence[str], limit: int
) -> Sequence[LogRow]:
    """Up to `limit` events of a run after position `after`, in log order."""
    return await _page(conn, [_e.run_id == run_id, _e.position > after], types, limit)


async def log_range(
    conn: AsyncConnection, after: int, last: int | None, types: Sequence[str], limit: int
) -> Sequence[LogRow]:
    """Up to `limit` events after position `after` and up to `last` (if any), in log order."""
    where = [_e.position > after]
    if last is not None:
        where.append(_e.position <= last)
    return await _page(conn, where, types, limit)
