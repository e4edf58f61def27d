"""The reads behind the catalogue and run routes: strategies, instances, runs, orders,
executions, OCO groups and bars, on the projection store's tables (schema.tables).

Every list is read by keyset: `keyset` takes the columns of a unique sort key and the key of
the last item of the previous page, so a page costs one index range and stays stable while
rows are added. The key travels to the client as an opaque cursor (`page_cursor`,
`cursor_key`): strings and integers as they are, times as ISO-8601 text.
"""

import heapq
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from read_api.analytics.queries import Row, exists, row_of
from read_api.cursors import decode_cursor, encode_cursor
from read_api.errors import InvalidParameter
from schema.tables.projections import (
    bars,
    executions,
    order_history,
    order_oco_groups,
    order_oco_links,
    orders,
    run_metrics,
    run_series,
    strategies,
    strategy_instances,
)

__all__ = ["Row", "exists", "row_of"]

KeyKind = Literal["str", "int", "time"]


def cursor_key(cursor: str | None, kinds: Sequence[KeyKind]) -> list[Any] | None:
    """The sort key a cursor carries, each value of its kind (422 if it is not ours)."""
    if cursor is None:
        return None
    raw = decode_cursor(cursor, [int if kind == "int" else str for kind in kinds])
    key: list[Any] = []
    for value, kind in zip(raw, kinds, strict=True):
        if kind != "time":
            key.append(value)
            continue
        try:
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                raise ValueError("a naive time")
            key.append(moment.astimezone(UTC))  # OverflowError past year 9999 or before 1
        except (ValueError, OverflowError) as exc:
            raise InvalidParameter("cursor: not a cursor this API issued") from exc
    return key


def page_cursor(rows: Sequence[Row], limit: int, key: Sequence[str]) -> str | None:
    """The cursor after the last of `limit` rows, when `rows` (read with limit + 1) has more."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    values = [last[name] for name in key]
    return encode_cursor([v.isoformat() if isinstance(v, datetime) else v for v in values])


def _after(
    columns: Sequence[ColumnElement[Any]], key: Sequence[Any], descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after `key` in (columns…) order, ascending or descending: one row-value
    comparison, which SQLite and PostgreSQL serve as an index range (an OR of its terms
    only narrows the index by its first column)."""
    row = tuple_(*columns)
    after: ColumnElement[bool] = row < tuple(key) if descending else row > tuple(key)
    return after


async def keyset(
    conn: AsyncConnection,
    query: Select[Any],
    columns: Sequence[ColumnElement[Any]],
    after: Sequence[Any] | None,
    limit: int,
    descending: bool = False,
) -> list[Row]:
    """Up to `limit` rows of `query` after the key `after`, in (columns…) order."""
    if after is not None:
        query = query.where(_after(columns, after, descending))
    order = [column.desc() for column in columns] if descending else columns
    result = await conn.execute(query.order_by(*order).limit(limit))
    return [dict(row) for row in result.mappings().all()]


async def strategies_page(
    conn: AsyncConnection, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    return await keyset(conn, select(strategies), [strategies.c.strategy_id], after, limit)


async def instances_page(
    conn: AsyncConnection, strategy_id: str | None, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    i = strategy_instances.c
    query = select(strategy_instances)
    if strategy_id is not None:
        query = query.where(i.strategy_id == strategy_id)
    return await keyset(conn, query, [i.instance_id], after, limit)


async def headline_metrics(conn: AsyncConnection, run_id: str) -> Row | None:
    return await row_of(conn, run_metrics, "run_id", run_id)


async def orders_page(
    conn: AsyncConnection, run_id: str, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    query = select(orders).where(orders.c.run_id == run_id)
    return await keyset(conn, query, [orders.c.order_id], after, limit)


async def order_known(conn: AsyncConnection, run_id: str, order_id: str) -> bool:
    o = orders.c
    query = select(o.order_id).where(o.run_id == run_id, o.order_id == order_id)
    return (await conn.execute(query)).first() is not None


async def history_page(
    conn: AsyncConnection, run_id: str, order_id: str, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    h = order_history.c
    query = select(order_history).where(h.run_id == run_id, h.order_id == order_id)
    return await keyset(conn, query, [h.position], after, limit)


async def executions_page(
    conn: AsyncConnection, run_id: str, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    """A run's executions by (exec time, log position); side, symbol and account are the
    order's when the execution did not carry them."""
    e, o = executions.c, orders.c
    own = [c for c in executions.columns if c.name not in ("side", "symbol", "account_id")]
    query = (
        select(
            *own,
            func.coalesce(e.side, o.side).label("side"),
            func.coalesce(e.symbol, o.symbol).label("symbol"),
            func.coalesce(e.account_id, o.account_id).label("account_id"),
        )
        .select_from(
            executions.outerjoin(orders, and_(o.run_id == e.run_id, o.order_id == e.order_id))
        )
        .where(e.run_id == run_id)
    )
    return await keyset(conn, query, [e.exec_utc, e.position], after, limit)


async def oco_groups_page(
    conn: AsyncConnection, run_id: str, after: Sequence[Any] | None, limit: int
) -> list[Row]:
    g = order_oco_groups.c
    query = select(order_oco_groups).where(g.run_id == run_id)
    return await keyset(conn, query, [g.oco_group_id], after, limit)


async def oco_legs(conn: AsyncConnection, run_id: str, group_ids: Sequence[str]) -> list[Row]:
    """The links of the given groups with their order's current status, by group then role."""
    if not group_ids:
        return []
    link, o = order_oco_links.c, orders.c
    query = (
        select(
            order_oco_links,
            o.status.label("order_status"),
            o.side.label("order_side"),
            o.order_type.label("order_type"),
        )
        .select_from(
            order_oco_links.outerjoin(
                orders, and_(o.run_id == link.run_id, o.order_id == link.order_id)
            )
        )
        .where(link.run_id == run_id, link.oco_group_id.in_(list(group_ids)))
        .order_by(link.oco_group_id, link.role, link.order_id)
    )
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def bars_page(
    conn: AsyncConnection,
    run_id: str,
    symbol: str,
    timeframe: str | None,
    span: tuple[datetime | None, datetime | None],
    after: Sequence[Any] | None,
    limit: int,
) -> list[Row]:
    """Bars of a run's series for a symbol (and normalised timeframe), by (ts_utc, series).

    One keyset range per series on the bars' (series_id, ts_utc) key, merged here: ordering
    the join by time instead would sort every bar of the run for each page.
    """
    s, b = run_series.c, bars.c
    series_query = select(s.series_id, s.symbol, s.timeframe, s.venue, s.provider).where(
        s.run_id == run_id, s.symbol == symbol
    )
    if timeframe is not None:
        series_query = series_query.where(s.timeframe == timeframe)
    start_utc, end_utc = span
    pages = []
    for series in (await conn.execute(series_query.order_by(s.series_id))).mappings().all():
        query = select(bars).where(b.series_id == series["series_id"])
        if start_utc is not None:
            query = query.where(b.ts_utc >= start_utc)
        if end_utc is not None:
            query = query.where(b.ts_utc <= end_utc)
        if after is not None:  # after (time, series): this series' bars at that time or later
            at_time_too = series["series_id"] > after[1]
            query = query.where(b.ts_utc >= after[0] if at_time_too else b.ts_utc > after[0])
        rows = await conn.execute(query.order_by(b.ts_utc).limit(limit))
        pages.append([{**row, **series} for row in rows.mappings().all()])
    merged = heapq.merge(*pages, key=lambda row: (row["ts_utc"], row["series_id"]))
    return list(itertools.islice(merged, limit))
