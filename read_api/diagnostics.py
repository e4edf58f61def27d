"""Queries behind the diagnostics routes: orphans, quarantined input, stale runs.

Orphans are rows the projector created only because a child referred to them (`placeholder`
true): an order known from its fills alone, a run known from its events alone, an OCO group
known from its links, an instance or strategy a run named. They resolve by themselves when
the parent's own event arrives. The quarantine lives in the log store, beside the log.
A run is stale when it is still RUNNING, is live (not BACKTEST or REPLAY, whose event times
are historical), and neither a heartbeat nor any event is newer than the threshold.
"""

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Select, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from schema.tables import quarantine
from schema.tables.projections import (
    order_oco_groups,
    orders,
    strategies,
    strategy_instances,
    strategy_runs,
)

Row = dict[str, Any]
HISTORICAL_RUN_TYPES = ("BACKTEST", "REPLAY")

ORPHAN_KINDS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "orders": (orders, ("run_id", "order_id", "fill_count", "filled_quantity", "first_position")),
    "runs": (strategy_runs, ("run_id", "event_count", "first_position", "last_position")),
    "oco_groups": (order_oco_groups, ("run_id", "oco_group_id", "last_position")),
    "instances": (strategy_instances, ("instance_id", "strategy_id")),
    "strategies": (strategies, ("strategy_id",)),
}


async def _rows(conn: AsyncConnection, query: Select[Any]) -> list[Row]:
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def orphans(conn: AsyncConnection, limit: int) -> dict[str, tuple[int, list[Row]]]:
    """Per kind: how many placeholders there are, and the first `limit` of them."""
    found: dict[str, tuple[int, list[Row]]] = {}
    for kind, (table, columns) in ORPHAN_KINDS.items():
        placeholder = table.c.placeholder.is_(True)
        count = (await conn.execute(select(func.count()).where(placeholder))).scalar_one()
        key = list(table.primary_key.columns)
        query = select(*(table.c[name] for name in columns)).where(placeholder).order_by(*key)
        found[kind] = (int(count), await _rows(conn, query.limit(limit)))
    return found


async def quarantined(
    conn: AsyncConnection, *, after: int, limit: int, run_id: str | None, open_only: bool
) -> list[Row]:
    """Quarantine rows with id > `after`, oldest first, `errors` parsed."""
    query = select(quarantine).where(quarantine.c.quarantine_id > after)
    if run_id is not None:
        query = query.where(quarantine.c.run_id == run_id)
    if open_only:
        query = query.where(quarantine.c.status == "OPEN")
    rows = await _rows(conn, query.order_by(quarantine.c.quarantine_id).limit(limit))
    for row in rows:
        row["errors"] = orjson.loads(row["errors"])
    return rows


async def stale_runs(conn: AsyncConnection, now: datetime, silent_for: timedelta) -> list[Row]:
    """Live RUNNING runs whose latest heartbeat and event are both older than `silent_for`."""
    c = strategy_runs.c
    cutoff = now - silent_for
    query = (
        select(
            c.run_id,
            c.instance_id,
            c.strategy_id,
            c.run_type,
            c.status,
            c.last_heartbeat_utc,
            c.last_event_utc,
        )
        .where(
            c.status == "RUNNING",
            or_(c.run_type.is_(None), c.run_type.not_in(HISTORICAL_RUN_TYPES)),
            or_(c.last_heartbeat_utc.is_(None), c.last_heartbeat_utc < cutoff),
            or_(c.last_event_utc.is_(None), c.last_event_utc < cutoff),
        )
        .order_by(c.run_id)
    )
    rows = await _rows(conn, query)
    for row in rows:
        times = [t for t in (row["last_heartbeat_utc"], row["last_event_utc"]) if t is not None]
        row["last_activity_utc"] = max(times) if times else None
        row["silent_seconds"] = (now - max(times)).total_seconds() if times else None
    return rows
