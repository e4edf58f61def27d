"""The runs list: which runs match a dashboard's filters, in which order, page by page.

A run's strategy is its own `strategy_id` or, when its run.started did not name one, its
instance's; filters and answers use that effective value. A run matches a symbol when its
instance trades it, or it has an order or a bar series of it. A time range keeps the runs
that were active at some moment of it (started by its end, not ended before its start).
Every sort order ends with the run id, so the keyset (read_api/catalog_queries.py) is
unique; a run with no start yet sorts as the earliest.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from read_api.catalog_queries import KeyKind, Row, keyset
from schema.tables.projections import orders, run_series, strategy_instances, strategy_runs
from schema.tables.types import UtcDateTime

RunSort = Literal["run_id", "start_utc", "-start_utc"]

_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RunFilters:
    """What a runs list asks for; None: any."""

    strategy_id: str | None = None
    instance_id: str | None = None
    run_type: str | None = None
    status: str | None = None
    symbol: str | None = None
    active_since: datetime | None = None
    active_until: datetime | None = None


def sort_key_kinds(sort: RunSort) -> list[KeyKind]:
    """The kinds of the cursor values of `sort` (for read_api.catalog_queries.cursor_key)."""
    return ["str"] if sort == "run_id" else ["time", "str"]


def sort_key_names(sort: RunSort) -> list[str]:
    """The row fields a page's cursor is made of."""
    return ["run_id"] if sort == "run_id" else ["sort_start_utc", "run_id"]


async def runs_page(
    conn: AsyncConnection,
    filters: RunFilters,
    sort: RunSort,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Row]:
    """Up to `limit` runs matching `filters` after the key `after`, in `sort` order."""
    r = strategy_runs.c
    started = func.coalesce(r.start_utc, literal(_EARLIEST, UtcDateTime))
    query = _filtered(filters).add_columns(started.label("sort_start_utc"))
    if sort == "run_id":
        return await keyset(conn, query, [r.run_id], after, limit)
    return await keyset(conn, query, [started, r.run_id], after, limit, sort.startswith("-"))


async def run_row(conn: AsyncConnection, run_id: str) -> Row | None:
    """One run as the list shows it (effective strategy), or None."""
    query = _filtered(RunFilters()).where(strategy_runs.c.run_id == run_id)
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row is not None else None


def _filtered(filters: RunFilters) -> Select[Any]:
    r, i = strategy_runs.c, strategy_instances.c
    strategy = func.coalesce(r.strategy_id, i.strategy_id)
    own = [c for c in strategy_runs.columns if c.name != "strategy_id"]
    query = select(*own, strategy.label("strategy_id")).select_from(
        strategy_runs.outerjoin(strategy_instances, i.instance_id == r.instance_id)
    )
    wanted: list[ColumnElement[bool]] = []
    for column, value in (
        (strategy, filters.strategy_id),
        (r.instance_id, filters.instance_id),
        (r.run_type, filters.run_type),
        (r.status, filters.status),
    ):
        if value is not None:
            wanted.append(column == value)
    if filters.symbol is not None:
        wanted.append(_trades_symbol(filters.symbol))
    if filters.active_until is not None:
        wanted.append(r.start_utc <= filters.active_until)
    if filters.active_since is not None:
        wanted.append(or_(r.end_utc.is_(None), r.end_utc >= filters.active_since))
    return query.where(*wanted)


def _trades_symbol(symbol: str) -> ColumnElement[bool]:
    r, i, o, s = strategy_runs.c, strategy_instances.c, orders.c, run_series.c
    return or_(
        i.symbol == symbol,
        exists().where(o.run_id == r.run_id, o.symbol == symbol),
        exists().where(s.run_id == r.run_id, s.symbol == symbol),
    )
