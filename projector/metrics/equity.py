"""The marked-to-market equity curve of a run and its drawdowns.

Equity at time t = starting balance + the cash PnL of every fill up to t (realized at
average cost, minus fees) + each open position marked at its symbol's last bar close up to
t. It is sampled at every bar close of the run (any symbol) and at every fill after the run's
last bar close (so a run without bars is sampled at its fills). At a sample, all fills and
bar closes at or before it are applied; a position with no close of its symbol yet is marked
at its own average cost (unrealized 0). The drawdown runs from the highest equity so far,
the starting balance included, so a run that only loses is in drawdown from its first sample.
"""

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat

from projector.trades.bars import BarIndex
from projector.trades.model import PositionChange


@dataclass(frozen=True, slots=True)
class EquityCurve:
    """Columns of the curve; `drawdown` in currency (>= 0), `drawdown_pct` a fraction of the
    peak (None while the peak is <= 0). `start_utc` is when `initial` applied, if known."""

    initial: float
    start_utc: datetime | None
    times: tuple[datetime, ...]
    equity: tuple[float, ...]
    drawdown: tuple[float, ...]
    drawdown_pct: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.times)

    @property
    def final(self) -> float:
        return self.equity[-1] if self.equity else self.initial


def drawn_down(
    initial: float, start_utc: datetime | None, times: Sequence[datetime], equity: Sequence[float]
) -> EquityCurve:
    """The curve with its drawdown columns computed."""
    initial = float(initial)
    peak = initial
    drawdown: list[float] = []
    drawdown_pct: list[float | None] = []
    for value in equity:
        peak = max(peak, value)
        drawdown.append(peak - value)
        drawdown_pct.append((peak - value) / peak if peak > 0 else None)
    return EquityCurve(
        initial, start_utc, tuple(times), tuple(equity), tuple(drawdown), tuple(drawdown_pct)
    )


class _Book:
    """Positions and marks while the curve is walked."""

    def __init__(self) -> None:
        self.realized = 0.0
        self.marks: dict[str, float] = {}
        self.positions: defaultdict[str, dict[str, tuple[float, float, float]]] = defaultdict(dict)
        self.unrealized: dict[str, float] = {}

    def copy(self) -> "_Book":
        twin = _Book()
        twin.realized = self.realized
        twin.marks = dict(self.marks)
        twin.positions = defaultdict(dict, {s: dict(p) for s, p in self.positions.items()})
        twin.unrealized = dict(self.unrealized)
        return twin

    def revalue(self, symbol: str) -> None:
        mark = self.marks.get(symbol)
        if mark is None:
            return
        self.unrealized[symbol] = sum(
            quantity * (mark - cost) * multiplier
            for quantity, cost, multiplier in self.positions[symbol].values()
        )

    def apply(self, change: PositionChange) -> None:
        self.realized += change.cash_pnl
        entry = (change.net_quantity, change.average_cost, change.multiplier)
        self.positions[change.symbol][change.account_id] = entry
        self.revalue(change.symbol)

    def mark(self, symbol: str, close: float) -> None:
        self.marks[symbol] = close
        self.revalue(symbol)


BarClose = tuple[datetime, str, float]  # (bar end, symbol, close)


def bar_closes(
    bars: Mapping[str, BarIndex], after: Mapping[str, int] | None = None
) -> Iterator[BarClose]:
    """Every symbol's bar closes in time order (ties by symbol); `after`: skip each symbol's
    first so many bars."""
    skip = after or {}
    return heapq.merge(
        *(_closes(symbol, index, skip.get(symbol, 0)) for symbol, index in bars.items())
    )


def _closes(symbol: str, index: BarIndex, first: int) -> Iterator[BarClose]:
    ends, closes = index.ends[first:], index.closes[first:]
    return zip(ends, repeat(symbol, len(ends)), closes, strict=True)


class CurveWalk:
    """`build_equity_curve`'s walk, resumable: the book, how many changes are applied, the
    samples taken (with their drawdowns) and the bar-close time still open (`pending`: more
    closes at that time may come). `walk` carries it through more bar closes; `curve` gives
    the curve as if the walk ended there, without changing the walk."""

    def __init__(self, initial_balance: float) -> None:
        self.initial = float(initial_balance)
        self.book = _Book()
        self.applied = 0
        self.times: list[datetime] = []
        self.equity: list[float] = []
        self.drawdown: list[float] = []
        self.drawdown_pct: list[float | None] = []
        self.peak = self.initial
        self.pending: datetime | None = None

    def _sample(self, book: _Book, changes: Sequence[PositionChange], moment: datetime) -> None:
        applied = self.applied
        while applied < len(changes) and changes[applied].exec_utc <= moment:
            book.apply(changes[applied])
            applied += 1
        self.applied = applied
        value = self.initial + book.realized + sum(book.unrealized.values())
        self.peak = peak = max(self.peak, value)
        self.times.append(moment)
        self.equity.append(value)
        self.drawdown.append(peak - value)
        self.drawdown_pct.append((peak - value) / peak if peak > 0 else None)

    def walk(self, changes: Sequence[PositionChange], closes: Iterable[BarClose]) -> None:
        """Take in `closes` (none before `pending`) with `changes`, the run's whole ledger in
        fill order, of which the first `applied` are the ones applied so far."""
        book, pending = self.book, self.pending
        for end, symbol, close in closes:
            if pending is not None and end != pending:
                self._sample(book, changes, pending)
            pending = end
            book.mark(symbol, close)
        self.pending = pending

    def opens_at(self, changes: Sequence[PositionChange], start_utc: datetime | None) -> bool:
        """Whether `curve` begins with the starting balance at `start_utc` (before the first
        sample: the first stable one, else the open bar-close time, else the first change)."""
        if start_utc is None:
            return False
        if self.times:
            first: datetime | None = self.times[0]
        elif self.pending is not None:
            first = self.pending
        else:
            first = changes[self.applied].exec_utc if self.applied < len(changes) else None
        return first is not None and start_utc < first

    def curve(self, changes: Sequence[PositionChange], start_utc: datetime | None) -> EquityCurve:
        """The curve: the samples so far, the open bar-close time, then one sample at every
        change not applied by then; the starting balance at `start_utc` when it is earlier."""
        tail = CurveWalk(self.initial)
        tail.applied, tail.peak = self.applied, self.peak
        book = self.book.copy()
        if self.pending is not None:
            tail._sample(book, changes, self.pending)
        while tail.applied < len(changes):
            tail._sample(book, changes, changes[tail.applied].exec_utc)
        times, equity = [*self.times, *tail.times], [*self.equity, *tail.equity]
        drawdown = [*self.drawdown, *tail.drawdown]
        drawdown_pct = [*self.drawdown_pct, *tail.drawdown_pct]
        if start_utc is not None and times and start_utc < times[0]:
            # At the starting balance, which is the peak so far: the later points keep theirs.
            times.insert(0, start_utc)
            equity.insert(0, self.initial)
            drawdown.insert(0, 0.0)
            drawdown_pct.insert(0, 0.0 if self.initial > 0 else None)
        return EquityCurve(
            self.initial,
            start_utc,
            tuple(times),
            tuple(equity),
            tuple(drawdown),
            tuple(drawdown_pct),
        )


def build_equity_curve(
    changes: Sequence[PositionChange],
    bars: Mapping[str, BarIndex],
    initial_balance: float = 0.0,
    start_utc: datetime | None = None,
) -> EquityCurve:
    """The curve from the reconstruction's ledger (`changes`, in fill order) and bars."""
    walk = CurveWalk(initial_balance)
    walk.walk(changes, bar_closes(bars))
    return walk.curve(changes, start_utc)


def combined_equity(curves: Sequence[EquityCurve]) -> EquityCurve:
    """Several runs held together: their starting balances add up, and at every time one of
    them has a sample the sum of each run's latest equity (its starting balance before its
    first sample, its final equity after its last)."""
    if len(curves) == 1:
        return curves[0]
    latest = [curve.initial for curve in curves]
    total = math.fsum(latest)
    times: list[datetime] = []
    equity: list[float] = []
    pending: datetime | None = None
    samples = heapq.merge(
        *(zip(c.times, repeat(i, len(c)), c.equity, strict=True) for i, c in enumerate(curves))
    )
    for moment, run, value in samples:
        if pending is not None and moment != pending:
            times.append(pending)
            equity.append(total)
        pending = moment
        total += value - latest[run]
        latest[run] = value
    if pending is not None:
        times.append(pending)
        equity.append(total)
    starts = [curve.start_utc for curve in curves if curve.start_utc is not None]
    initial = math.fsum(curve.initial for curve in curves)
    return drawn_down(initial, min(starts, default=None), times, equity)
