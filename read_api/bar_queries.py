"""Downsampled bars: a run's bars of a symbol aggregated into candles in SQL.

A candle is one series' bars in one bucket (read_api/bar_buckets.py): the open of the first
bar, the close of the last, the highest high, the lowest low, the summed volume and the bar
count. The database groups the bars by (series, bucket start in whole seconds) and joins back
for the first open and last close, on SQLite (times stored as ISO text: `strftime('%s')`)
and PostgreSQL (`timestamptz`: `extract(epoch)`) alike, so only candles leave the database.

A page is read window by window: a page of n candles needs at most n + 1 buckets per series,
so each query reads the bars of that many buckets from the bars' primary key (series, time),
and a gap in the data is jumped to the next bar. The cost of a page is the bars it covers,
never the bars after it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, and_, cast, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from read_api.analytics.queries import Row
from read_api.bar_buckets import ORIGIN, ORIGIN_SECONDS, bucket_start
from schema.tables.projections import bars, run_series

_s, _b = run_series.c, bars.c
_LATEST = datetime(9999, 1, 1, tzinfo=ORIGIN.tzinfo)


@dataclass(frozen=True)
class BarSelection:
    """Which bars: a run's series of a symbol (and timeframe), between two times."""

    run_id: str
    symbol: str
    timeframe: str | None
    start_utc: datetime | None
    end_utc: datetime | None

    @property
    def span(self) -> tuple[datetime | None, datetime | None]:
        return self.start_utc, self.end_utc

    def series(self) -> list[ColumnElement[bool]]:
        where = [_s.run_id == self.run_id, _s.symbol == self.symbol]
        if self.timeframe is not None:
            where.append(_s.timeframe == self.timeframe)
        return where

    def bars(self, lo: datetime, hi: datetime | None) -> list[ColumnElement[bool]]:
        where = [*self.series(), _b.ts_utc >= max(lo, self.start_utc or lo)]
        if hi is not None:
            where.append(_b.ts_utc < hi)
        if self.end_utc is not None:
            where.append(_b.ts_utc <= self.end_utc)
        return where


async def series_extent(conn: AsyncConnection, selection: BarSelection) -> list[Row]:
    """The timeframe, first and last bar time of each series the selection reads."""
    query = select(_s.timeframe, _s.first_ts_utc, _s.last_ts_utc).where(*selection.series())
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def _next_bar(
    conn: AsyncConnection, selection: BarSelection, lo: datetime
) -> datetime | None:
    query = (
        select(func.min(_b.ts_utc))
        .select_from(bars.join(run_series, _s.series_id == _b.series_id))
        .where(*selection.bars(lo, None))
    )
    moment: datetime | None = (await conn.execute(query)).scalar()
    return moment


def _moment(epoch_seconds: int) -> datetime:
    return ORIGIN + timedelta(seconds=epoch_seconds - ORIGIN_SECONDS)


def _epoch_seconds(dialect: str, column: Any) -> ColumnElement[int]:
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(extract("epoch", column)), BigInteger)


async def _window(
    conn: AsyncConnection,
    selection: BarSelection,
    width: int,
    span: tuple[datetime, datetime | None],
    after: tuple[int, str] | None,
    limit: int,
) -> list[Row]:
    """Up to `limit` candles of bars in [lo, hi), after the (bucket second, series) `after`."""
    seconds = _epoch_seconds(conn.dialect.name, _b.ts_utc)
    start = ORIGIN_SECONDS + (seconds - ORIGIN_SECONDS) // width * width
    inner = (
        select(_b.series_id, start.label("bucket_s"), _b.ts_utc, _b.high, _b.low, _b.volume)
        .select_from(bars.join(run_series, _s.series_id == _b.series_id))
        .where(*selection.bars(*span))
        .subquery()
    )
    i = inner.c
    grouped = (
        select(
            i.series_id,
            i.bucket_s,
            func.min(i.ts_utc).label("first_bar_utc"),
            func.max(i.ts_utc).label("last_bar_utc"),
            func.max(i.high).label("high"),
            func.min(i.low).label("low"),
            func.sum(i.volume).label("volume"),
            func.count().label("bar_count"),
        )
        .group_by(i.series_id, i.bucket_s)
        .subquery()
    )
    g, opening, closing = grouped.c, bars.alias("opening"), bars.alias("closing")
    query = select(
        g.bucket_s, g.first_bar_utc, g.last_bar_utc, opening.c.open, g.high, g.low,
        closing.c.close, g.volume, g.bar_count, g.series_id,
        _s.symbol, _s.timeframe, _s.venue, _s.provider,
    ).select_from(
        grouped.join(run_series, _s.series_id == g.series_id)
        .join(opening, and_(opening.c.series_id == g.series_id,
                            opening.c.ts_utc == g.first_bar_utc))
        .join(closing, and_(closing.c.series_id == g.series_id,
                            closing.c.ts_utc == g.last_bar_utc))
    )  # fmt: skip
    if after is not None:
        bucket_s, series_id = after
        query = query.where(
            or_(g.bucket_s > bucket_s, and_(g.bucket_s == bucket_s, g.series_id > series_id))
        )
    result = await conn.execute(query.order_by(g.bucket_s, g.series_id).limit(limit))
    step = timedelta(seconds=width)
    return [
        {**row, "ts_utc": _moment(row["bucket_s"]), "end_utc": _moment(row["bucket_s"]) + step}
        for row in result.mappings().all()
    ]


async def candles_page(
    conn: AsyncConnection,
    selection: BarSelection,
    width: int,
    first: datetime,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Row]:
    """Up to `limit` candles of `width` seconds by (bucket, series), from the bucket of
    `first` or after the (bucket second, series) `after`."""
    lo = _moment(after[0]) if after else bucket_start(first, width)
    candles: list[Row] = []
    while True:
        need = limit - len(candles)
        room = (_LATEST - lo) // timedelta(seconds=1)
        hi = lo + timedelta(seconds=width * (need + 1)) if width * (need + 1) < room else None
        candles += await _window(conn, selection, width, (lo, hi), after, need)
        after = None  # only the first window holds buckets already served
        if len(candles) >= limit or hi is None:
            return candles
        following = await _next_bar(conn, selection, hi)
        if following is None:
            return candles
        lo = bucket_start(following, width)
