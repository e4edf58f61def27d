"""Equity curves on one grid, so that runs, instances or strategies line up.

The grid has `points` x-values spread evenly over a span, in whole microseconds from an
origin: x_i = origin + floor(i * span / (points - 1)). A run's curve is sampled there as a
step function, its last point at or before each x_i, by the database
(read_api/analytics/compare_queries.py); this module builds the grid and holds runs together.

Several runs held together (an instance's, a strategy's) make one portfolio curve, as
docs/metrics.md §7 and §10 define it: at each x, the sum over its runs of each run's latest
equity, its starting balance before its first point; null before the first point of any of
them. Its PnL is that equity minus the sum of the starting balances. A single run is the
portfolio of one.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MICROSECONDS = 1_000_000

Curve = list[float | None]


def grid_offsets(span_us: int, points: int) -> list[int]:
    """The grid's offsets from its origin, in microseconds (one x when the span is empty)."""
    if span_us == 0:
        return [0]
    return [i * span_us // (points - 1) for i in range(points)]


@dataclass(frozen=True)
class Member:
    """One run of a portfolio: its sampled equity by grid index (none before its first
    point; a point stored null is None), and its starting balance."""

    sampled: Mapping[int, float | None]
    initial_balance: float


def portfolio(members: Sequence[Member], size: int) -> tuple[Curve, Curve]:
    """Equity and PnL of `members` held together at each of `size` grid points."""
    starts = [min(m.sampled) for m in members if m.sampled]
    if not starts:
        return [None] * size, [None] * size
    first = min(starts)
    latest: list[float | None] = [m.initial_balance for m in members]
    balances = math.fsum(m.initial_balance for m in members)
    equity: Curve = []
    for i in range(size):
        for j, member in enumerate(members):
            if i in member.sampled:
                latest[j] = member.sampled[i]
        known = [value for value in latest if value is not None]
        # Null before the first point, and where a run's point is stored null (not finite).
        complete = i >= first and len(known) == len(latest)
        equity.append(math.fsum(known) if complete else None)
    pnl: Curve = [None if value is None else value - balances for value in equity]
    return equity, pnl
