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
from collections.abc import Iterator, Mapping, Sequence
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
    """Positions and marks while the curve is walked (mutable scratch of one call)."""

    def __init__(self) -> None:
        self.realized = 0.0
        self.marks: dict[str, float] = {}
        self.positions: defaultdict[str, dict[str, tuple[float, float, float]]] = defaultdict(dict)
        self.unrealized: dict[str, float] = {}

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


def _bar_closes(bars: Mapping[str, BarIndex]) -> Iterator[tuple[datetime, str, float]]:
    return heapq.merge(
        *(
            zip(index.ends, repeat(symbol, len(index)), index.closes, strict=True)
            for symbol, index in bars.items()
        )
    )


def build_equity_curve(
    changes: Sequence[PositionChange],
    bars: Mapping[str, BarIndex],
    initial_balance: float = 0.0,
    start_utc: datetime | None = None,
) -> EquityCurve:
    """The curve from the reconstruction's ledger (`changes`, in fill order) and bars."""
    initial_balance = float(initial_balance)
    book, times, equity = _Book(), [], []
    applied = 0

    def sample(moment: datetime) -> None:
        nonlocal applied
        while applied < len(changes) and changes[applied].exec_utc <= moment:
            book.apply(changes[applied])
            applied += 1
        times.append(moment)
        equity.append(initial_balance + book.realized + sum(book.unrealized.values()))

    pending: datetime | None = None
    for end, symbol, close in _bar_closes(bars):
        if pending is not None and end != pending:
            sample(pending)
        pending = end
        book.mark(symbol, close)
    if pending is not None:
        sample(pending)
    while applied < len(changes):
        sample(changes[applied].exec_utc)
    if start_utc is not None and times and start_utc < times[0]:
        times.insert(0, start_utc)
        equity.insert(0, initial_balance)
    return drawn_down(initial_balance, start_utc, times, equity)


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
