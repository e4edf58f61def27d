"""Bar routes: a run's bars of a symbol on the dashboards' path (`/api/bars/`) and its v1
twin, which also answers candles (bars aggregated into buckets, read_api/candles.py).

Bars are keyset pages by (ts_utc, series id); a run is known when it has a `strategy_runs`
row (404 otherwise).
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from read_api import catalog_queries as q
from read_api.bar_queries import BarSelection
from read_api.candles import Bucket, MaxPoints, candle_page
from read_api.connections import reading
from read_api.dependencies import StoresDep
from read_api.errors import ErrorBody, InvalidParameter
from read_api.routes.documented import reflecting_router
from read_api.routes.params import Cursor, Id, require_run, require_utc
from read_api.run_models import BarItem, BarPage, CandlePage
from schema.timeframes import normalize_timeframe

router = reflecting_router("runs", "projection")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown run."},
    422: {"model": ErrorBody, "description": "A parameter is not valid."},
    503: {"model": ErrorBody, "description": "The projection store cannot be read."},
}
BarLimit = Annotated[int, Query(ge=1, le=10_000, description="Bars per page.")]
RunId = Annotated[str, Query(min_length=1, max_length=256, description="The run.")]
Symbol = Annotated[str, Query(min_length=1, max_length=256, description="The symbol.")]
Timeframe = Annotated[
    str | None,
    Query(min_length=1, max_length=64, description='Any spelling ("1 - Minute", "1m", "M1").'),
]
Since = Annotated[datetime | None, Query(description="Bars at or after (ISO-8601, UTC).")]
Until = Annotated[datetime | None, Query(description="Bars at or before (ISO-8601, UTC).")]


def _selection(
    run_id: str, symbol: str, timeframe: str | None, span: tuple[datetime | None, datetime | None]
) -> BarSelection:
    """The bars asked for, checked: times with an offset and in order, timeframe normalised."""
    start_utc, end_utc = span
    require_utc(("start_utc", start_utc), ("end_utc", end_utc))
    if start_utc is not None and end_utc is not None and start_utc > end_utc:
        raise InvalidParameter("start_utc: after end_utc")
    normal = normalize_timeframe(timeframe) if timeframe is not None else None
    return BarSelection(run_id, symbol, normal, start_utc, end_utc)


async def _bars(stores: StoresDep, bars: BarSelection, limit: int, cursor: str | None) -> BarPage:
    after = q.cursor_key(cursor, ["time", "str"])
    async with reading(stores.projections) as conn:
        await require_run(conn, bars.run_id)
        rows = await q.bars_page(
            conn, bars.run_id, bars.symbol, bars.timeframe, bars.span, after, limit + 1
        )
    return BarPage(
        items=[BarItem.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, ["ts_utc", "series_id"]),
    )


@router.get("/api/bars/", response_model=BarPage, responses=_ERRORS)
async def dashboard_bars(
    stores: StoresDep,
    run_id: RunId,
    symbol: Symbol,
    timeframe: Timeframe = None,
    start_utc: Since = None,
    end_utc: Until = None,
    limit: BarLimit = 10_000,
    cursor: Cursor = None,
) -> BarPage:
    """A run's bars of a symbol (and timeframe, in any spelling), by bar time."""
    bars = _selection(run_id, symbol, timeframe, (start_utc, end_utc))
    return await _bars(stores, bars, limit, cursor)


@router.get("/api/v1/runs/{run_id}/bars", response_model=BarPage | CandlePage, responses=_ERRORS)
async def run_bars(
    stores: StoresDep,
    run_id: Id,
    symbol: Symbol,
    timeframe: Timeframe = None,
    start_utc: Since = None,
    end_utc: Until = None,
    bucket: Bucket = None,
    max_points: MaxPoints = None,
    limit: BarLimit = 1000,
    cursor: Cursor = None,
) -> BarPage | CandlePage:
    """A run's bars of a symbol (and timeframe, in any spelling) by bar time, or candles.

    Without `bucket` and `max_points`: the bars as stored (`BarPage`). With either: candles
    (`CandlePage`), one per series and bucket holding bars, by (bucket start, series): the
    open of the bucket's first bar, the close of its last, the highest high, the lowest low,
    the summed volume and the bar count. Buckets are fixed widths (seconds to weeks, not
    months or ticks) counted from a Monday midnight: a day starts at 00:00 UTC, a week on
    Monday. `bucket` sets the width. `max_points` lets the server pick the smallest width
    giving at most that many buckets per series over the span asked for (`start_utc` or the
    first bar, to `end_utc` or the last): the series' own timeframe, or the next rung of
    1s 5s 10s 15s 30s 1m 2m 5m 10m 15m 30m 1h 2h 4h 6h 12h 1d 1w 2w 4w 13w 26w 52w (the
    last when none is enough); with `bucket` too, nothing finer than `bucket`. The page
    names the width in `bucket`; its cursor keeps that width for the next pages.
    """
    bars = _selection(run_id, symbol, timeframe, (start_utc, end_utc))
    if bucket is None and max_points is None:
        return await _bars(stores, bars, limit, cursor)
    return await candle_page(stores, bars, (bucket, max_points), limit, cursor)
