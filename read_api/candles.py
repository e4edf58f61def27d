"""Downsampled bars for `GET /api/v1/runs/{run_id}/bars?bucket=…&max_points=…`.

Checks the two parameters, picks the bucket (read_api/bar_buckets.py) and reads a page of
candles (read_api/bar_queries.py). With `max_points` the span is the bars asked for: from
`start_utc` (or the first bar) to `end_utc` (or the last bar) of the matching series. The
bucket travels in the cursor with the last candle's (bucket time, series), so every page of
a walk keeps the bucket of the first, even if new bars would make `max_points` pick another.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Query

from read_api import bar_queries
from read_api.analytics.queries import Row
from read_api.bar_buckets import MAX_WIDTH, ORIGIN, ORIGIN_SECONDS, choose_width, name_of, width_of
from read_api.bar_queries import BarSelection
from read_api.catalog_queries import cursor_key, exists
from read_api.connections import reading
from read_api.cursors import encode_cursor
from read_api.errors import InvalidParameter, NotFound
from read_api.run_models import CandleItem, CandlePage
from read_api.status import StatusStores
from schema.tables.projections import strategy_runs

Bucket = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description='Candles of this width, any spelling ("1h", "H1", "1 - Hour"), from 1s to 52w.',
    ),
]
MaxPoints = Annotated[
    int | None,
    Query(ge=1, le=10_000, description="At most this many candles per series: the server "
          "picks the bucket."),
]  # fmt: skip


def bucket_width(bucket: str | None) -> int | None:
    """The width in seconds of the `bucket` parameter (422 when it has no fixed width)."""
    if bucket is None:
        return None
    width = width_of(bucket)
    if width is None or width > MAX_WIDTH:
        raise InvalidParameter(f"bucket: {bucket!r} is not a width from 1s to 52w (e.g. 1h)")
    return width


def _span(extent: Sequence[Row], selection: BarSelection) -> tuple[datetime, datetime] | None:
    """First and last bar time asked for, within the series' bars (None: no bar)."""
    if not extent:
        return None
    first = min(row["first_ts_utc"] for row in extent)
    last = max(row["last_ts_utc"] for row in extent)
    if selection.start_utc is not None:
        first = max(first, selection.start_utc)
    if selection.end_utc is not None:
        last = min(last, selection.end_utc)
    return (first, last) if first <= last else None


def _own_width(extent: Sequence[Row]) -> int | None:
    """The finest fixed width among the series' timeframes: no bucket finer is useful."""
    widths = (width_of(row["timeframe"]) for row in extent)
    return min((width for width in widths if width is not None), default=None)


def _after(key: list[Any] | None) -> tuple[int, str, int] | None:
    """(bucket second, series, width) of a candle cursor (422 for a width not allowed)."""
    if key is None:
        return None
    moment, series_id, width = key
    if not 0 < width <= MAX_WIDTH:
        raise InvalidParameter("cursor: not a cursor this API issued")
    return (moment - ORIGIN) // timedelta(seconds=1) + ORIGIN_SECONDS, series_id, width


async def candle_page(
    stores: StatusStores,
    selection: BarSelection,
    downsample: tuple[str | None, int | None],
    limit: int,
    cursor: str | None,
) -> CandlePage:
    """A page of the selection's bars aggregated into candles."""
    bucket, max_points = downsample
    floor = bucket_width(bucket)
    after = _after(cursor_key(cursor, ["time", "str", "int"]))
    async with reading(stores.projections) as conn:
        if not await exists(conn, strategy_runs, "run_id", selection.run_id):
            raise NotFound(f"no run {selection.run_id!r}")
        extent = await bar_queries.series_extent(conn, selection)
        span = _span(extent, selection)
        if after is not None:
            width = after[2]
        elif max_points is not None:
            width = choose_width(span, max_points, floor or _own_width(extent))
        else:
            assert floor is not None, "candles are asked for with a bucket or max_points"
            width = floor
        rows: list[Row] = []
        if span is not None:
            resume = (after[0], after[1]) if after else None
            rows = await bar_queries.candles_page(
                conn, selection, width, span[0], resume, limit + 1
            )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor([last["ts_utc"].isoformat(), last["series_id"], width])
    return CandlePage(
        bucket=name_of(width),
        items=[CandleItem.model_validate(row) for row in page],
        next_cursor=next_cursor,
    )
