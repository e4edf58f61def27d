"""A symbol's bars laid out for range queries: excursions inside a trade, the last close before
a time, and the close-to-close differences the regime tags are computed from.

A bar spans [ts_utc, end): `end_utc` when sent, else the next bar's open time, and the last
bar without one lasts as long as the bar before it. Ends are kept non-decreasing so the
"closed by time t" queries can bisect. Running sums of the differences and of their squares
make a window's mean and variance O(1) per trade; they accumulate left to right, so the
same bars give bit-identical sums however many bars come after.
"""

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

from projector.trades.inputs import Bar


@dataclass(frozen=True, slots=True)
class BarIndex:
    """Columns of one symbol's bars in time order; `diff_sums[i]` = sum of the first i
    close-to-close differences, `square_sums[i]` the sum of their squares."""

    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]
    highs: tuple[float, ...]
    lows: tuple[float, ...]
    closes: tuple[float, ...]
    diff_sums: tuple[float, ...]
    square_sums: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def closed_by(self, moment: datetime) -> int:
        """How many bars had ended at `moment` (a bar ending exactly then counts)."""
        return bisect_right(self.ends, moment)

    def inside(self, start: datetime, end: datetime) -> range:
        """The bars lying wholly within [start, end]; bars cut by either bound do not count."""
        first = bisect_left(self.starts, start)
        last = bisect_right(self.ends, end)
        return range(first, max(first, last))

    def last_close(self, moment: datetime | None = None) -> tuple[float, datetime] | None:
        """The close of the last bar ended by `moment` (of the whole series when None)."""
        count = len(self.starts) if moment is None else self.closed_by(moment)
        if count == 0:
            return None
        return self.closes[count - 1], self.ends[count - 1]


def _ends(bars: Sequence[Bar], previous_end: datetime | None = None) -> list[datetime]:
    """Each bar's end (`previous_end`: that of the bar before the first, if any)."""
    ends: list[datetime] = []
    for i, bar in enumerate(bars):
        if bar.end_utc is not None:
            end = bar.end_utc
        elif i + 1 < len(bars):
            end = bars[i + 1].ts_utc
        elif i > 0:
            end = bar.ts_utc + (bar.ts_utc - bars[i - 1].ts_utc)
        else:
            end = bar.ts_utc
        # A malformed end (before the bar's open, or before the previous end) must not break
        # the bisection the queries rely on.
        before = ends[-1] if ends else previous_end
        floor = max(bar.ts_utc, before) if before is not None else bar.ts_utc
        ends.append(max(end, floor))
    return ends


def index_bars(bars: Sequence[Bar]) -> BarIndex:
    """Index one symbol's bars (any order; the runner passes one series per symbol)."""
    ordered = sorted(bars, key=operator.attrgetter("ts_utc"))
    closes = [bar.close for bar in ordered]
    diffs = list(map(operator.sub, closes[1:], closes[:-1]))
    return BarIndex(
        starts=tuple(bar.ts_utc for bar in ordered),
        ends=tuple(_ends(ordered)),
        highs=tuple(bar.high for bar in ordered),
        lows=tuple(bar.low for bar in ordered),
        closes=tuple(closes),
        diff_sums=tuple(accumulate(diffs, initial=0.0)),
        square_sums=tuple(accumulate(map(operator.mul, diffs, diffs), initial=0.0)),
    )


def extend_index(index: BarIndex, indexed: Sequence[Bar], newer: Sequence[Bar]) -> BarIndex | None:
    """`index` (of the bars `indexed`, in time order) with `newer` bars added, equal to
    `index_bars` of all of them; None unless every newer bar opens after the last indexed one
    and the last indexed bar keeps its end (it ends where the next opens when it sent none)."""
    ordered = sorted(newer, key=operator.attrgetter("ts_utc"))
    if not indexed or not ordered:
        return index_bars([*indexed, *ordered])
    if ordered[0].ts_utc <= indexed[-1].ts_utc:
        return None
    # A bar's end depends on its neighbours only: recompute it from the second-to-last on.
    kept = min(2, len(indexed))
    previous = index.ends[-kept - 1] if len(index) > kept else None
    ends = _ends([*indexed[-kept:], *ordered], previous)
    if tuple(ends[:kept]) != index.ends[-kept:]:
        return None
    closes = [bar.close for bar in ordered]
    diffs = list(map(operator.sub, closes, [index.closes[-1], *closes[:-1]]))
    # Left to right from the sums so far: bit for bit the sums of indexing all the bars.
    diff_sums = tuple(accumulate(diffs, initial=index.diff_sums[-1]))[1:]
    square_sums = tuple(accumulate(map(operator.mul, diffs, diffs), initial=index.square_sums[-1]))
    return BarIndex(
        starts=index.starts + tuple(bar.ts_utc for bar in ordered),
        ends=index.ends + tuple(ends[kept:]),
        highs=index.highs + tuple(bar.high for bar in ordered),
        lows=index.lows + tuple(bar.low for bar in ordered),
        closes=index.closes + tuple(closes),
        diff_sums=index.diff_sums + diff_sums,
        square_sums=index.square_sums + square_sums[1:],
    )
