"""Exposure: the fraction of the observed time during which any position was open.

Time in market is the union of the intervals [entry, exit] of closed trades and [entry, end
of its run's span] of open positions, across all accounts and symbols (two positions at once
count once), clipped to the spans. The denominator is the union of the spans: for one run,
run start to run end (or, when the run did not say, its first to last bar or fill); for
several runs, the time covered by at least one of them.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from projector.metrics.numeric import ratio
from projector.trades.model import OpenPosition, Trade

Span = tuple[datetime, datetime]


def _union_length(intervals: Iterable[Span]) -> timedelta:
    total = timedelta(0)
    current: Span | None = None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += current[1] - current[0]
    return total


def _clipped(interval: Span, spans: Sequence[Span]) -> Iterable[Span]:
    for start, end in spans:
        low, high = max(interval[0], start), min(interval[1], end)
        if low < high:
            yield low, high


def market_intervals(
    trades: Sequence[Trade], open_positions: Sequence[OpenPosition], span: Span
) -> list[Span]:
    """One run's in-market intervals: closed trades, and open positions until the span ends."""
    intervals = [(trade.entry_utc, trade.exit_utc) for trade in trades]
    intervals += [(position.entry_utc, span[1]) for position in open_positions]
    return intervals


def exposure(intervals: Sequence[Span], spans: Sequence[Span]) -> tuple[float, float | None]:
    """(seconds in market, fraction of the spans' union); the fraction None for no time."""
    in_market = _union_length(
        clipped for interval in intervals for clipped in _clipped(interval, spans)
    )
    covered = _union_length(spans)
    return in_market.total_seconds(), ratio(in_market.total_seconds(), covered.total_seconds())
