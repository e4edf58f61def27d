"""`POST /api/v1/compare`: runs, instances or strategies side by side.

Each id gets its metrics (the object its own metrics route answers) and its equity curve on
a grid shared by all of them (read_api/analytics/alignment.py): a run's `equity_points`, or
the portfolio curve of an instance's or a strategy's runs (docs/metrics.md §10). Everything
is read from what the projector stored; the curves are sampled in the database by binary
search, so a long curve costs about `points` x log2(its length) index lookups there and
`points` values here.
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from read_api.analytics import compare_queries
from read_api.analytics.alignment import MICROSECONDS, Member, grid_offsets, portfolio
from read_api.analytics.compare_models import (
    CompareQuery,
    Comparison,
    Curves,
    CurveSeries,
    InstancesComparison,
    RunsComparison,
    StrategiesComparison,
)
from read_api.analytics.summaries import instance_summary, run_summary, strategy_summary
from read_api.connections import reading
from read_api.dependencies import StoresDep
from read_api.errors import UNREADABLE_BODY, ErrorBody, NotFound
from read_api.routes.documented import reflecting_router

router = reflecting_router("analytics", "analytics")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "An id names no run, instance or strategy."},
    422: {"model": ErrorBody, "description": "The request is not valid."},
    503: {"model": ErrorBody, "description": "The projection store cannot be read."},
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _time(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


Held = dict[str, list[tuple[str, float]]]  # id -> (run id, starting balance) of its runs
Ends = tuple[int, int, int]  # a run's first and last point (µs since the epoch), last seq


async def _ends(conn: AsyncConnection, held: Held) -> dict[str, Ends]:
    """The ends of each run's curve, for the runs that have points."""
    ends: dict[str, Ends] = {}
    for runs in held.values():
        for run_id, _balance in runs:
            found = await compare_queries.curve_ends(conn, run_id)
            if found is not None:
                first, last, last_seq = found
                ends[run_id] = (_us(first), _us(last), last_seq)
    return ends


def _origins(
    spans: dict[str, tuple[int, int]], align: str, ids: Sequence[str]
) -> tuple[dict[str, int], int]:
    """Where each id's grid starts, and the grid's length (microseconds)."""
    if align == "time":
        origin = min(first for first, _ in spans.values())
        return dict.fromkeys(ids, origin), max(last for _, last in spans.values()) - origin
    longest = max(last - first for first, last in spans.values())
    return {key: first for key, (first, _) in spans.items()}, longest


async def _curves(conn: AsyncConnection, query: CompareQuery) -> Curves:
    """Each id's curve on one grid: over the union of their spans, or from each one's start."""
    held = await compare_queries.members(conn, query.kind, query.ids)
    ends = await _ends(conn, held)
    spans: dict[str, tuple[int, int]] = {}  # id -> its runs' first and last point
    for key, runs in held.items():
        own = [ends[run_id] for run_id, _balance in runs if run_id in ends]
        if own:
            spans[key] = (min(e[0] for e in own), max(e[1] for e in own))
    if not spans:
        series = [_series(key, held[key], None, [], []) for key in query.ids]
        return Curves(align=query.align, x=[], series=series)
    origins, span_us = _origins(spans, query.align, query.ids)
    offsets = grid_offsets(span_us, query.points)
    series = []
    for key in query.ids:
        grid = [_time(origins[key] + offset) for offset in offsets] if key in origins else []
        members = [
            Member(
                await compare_queries.sampled(conn, run_id, ends[run_id][2], grid)
                if run_id in ends
                else {},
                balance,
            )
            for run_id, balance in held[key]
        ]
        equity, pnl = portfolio(members, len(offsets))
        start = _time(spans[key][0]) if key in spans else None
        series.append(_series(key, held[key], start, equity, pnl))
    if query.align == "time":
        origin = min(origins.values())  # the same for every id
        x: list[datetime] | list[float] = [_time(origin + offset) for offset in offsets]
    else:
        x = [offset / MICROSECONDS for offset in offsets]
    return Curves(align=query.align, x=x, series=series)


def _series(
    key: str,
    runs: Sequence[tuple[str, float]],
    start: datetime | None,
    equity: list[float | None],
    pnl: list[float | None],
) -> CurveSeries:
    balance = math.fsum(balance for _, balance in runs)
    return CurveSeries(id=key, start_utc=start, initial_balance=balance, equity=equity, pnl=pnl)


@router.post("/api/v1/compare", response_model=Comparison, responses={**_ERRORS, **UNREADABLE_BODY})
async def compare(
    stores: StoresDep, query: CompareQuery
) -> RunsComparison | InstancesComparison | StrategiesComparison:
    """Runs, instances or strategies side by side: their metrics and aligned equity curves."""
    async with reading(stores.projections) as conn:
        missing = await compare_queries.unknown(conn, query.kind, query.ids)
        if missing:
            raise NotFound(f"unknown {query.kind}: {', '.join(repr(key) for key in missing)}")
        rows = await compare_queries.metrics_rows(conn, query.kind, query.ids)
        curves = await _curves(conn, query)
    if query.kind == "runs":
        runs = [run_summary(key, rows.get(key)) for key in query.ids]
        return RunsComparison(kind="runs", rows=runs, curves=curves)
    if query.kind == "instances":
        instances = [instance_summary(key, rows.get(key)) for key in query.ids]
        return InstancesComparison(kind="instances", rows=instances, curves=curves)
    strategies = [strategy_summary(key, rows.get(key)) for key in query.ids]
    return StrategiesComparison(kind="strategies", rows=strategies, curves=curves)
