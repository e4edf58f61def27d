"""The simulated market: instruments and one-minute bars from a random walk.

Prices move in whole ticks (integers), so no float drift creeps into a long session; a price
becomes a float only when written, rounded to the tick's decimals. Each bar opens at the last
close (no gaps), and its path inside the minute is open → one extreme → the other → close
(which extreme comes first is drawn), passing each at a fixed third of the minute. `Bar.reach`
answers when that path first reaches a price, which is how the strategy decides which order
fills first and at what time. The walk is reflected at half and twice its starting price, so
a session of millions of bars stays plausible.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from stratlog.simulation.clock import MINUTE_MS

_THIRD_MS = MINUTE_MS // 3


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable contract: its tick, what a point is worth, where it starts and how it moves."""

    symbol: str
    tick: float
    multiplier: float
    start_price: float
    volatility_ticks: float  # standard deviation of one minute's move, in ticks
    fee: float  # commission per contract and fill, in USD
    max_contracts: int = 5
    decimals: int = field(init=False)  # of the tick: prices are rounded to it

    def __post_init__(self) -> None:
        text = f"{self.tick:.10f}".rstrip("0")
        object.__setattr__(self, "decimals", len(text.split(".")[1]) if "." in text else 0)

    def price(self, ticks: int) -> float:
        """A price in ticks as the float an exporter sends."""
        return round(ticks * self.tick, self.decimals)


UNIVERSE: tuple[Instrument, ...] = (
    Instrument("ESM5", 0.25, 50.0, 5700.0, 2.0, 1.25),
    Instrument("NQM5", 0.25, 20.0, 20100.0, 6.0, 1.25),
    Instrument("CLN5", 0.01, 1000.0, 71.5, 3.0, 1.50, max_contracts=3),
    Instrument("GCQ5", 0.1, 100.0, 2350.0, 3.0, 1.40, max_contracts=3),
    Instrument("6EM5", 0.00005, 125000.0, 1.085, 2.0, 1.10, max_contracts=4),
)


class Bar(NamedTuple):
    """One minute of one instrument, in ticks; `start_ms` is the bar's open time."""

    start_ms: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    high_first: bool

    @property
    def end_ms(self) -> int:
        return self.start_ms + MINUTE_MS

    def reach(self, level: int, upward: bool) -> int | None:
        """When the bar's path is first at or beyond `level` (above it if `upward`), in ms;
        None if it never is. At the open already beyond it: the open's time."""
        if (self.open >= level) if upward else (self.open <= level):
            return self.start_ms
        if not self.low <= level <= self.high:
            return None
        first, second = (self.high, self.low) if self.high_first else (self.low, self.high)
        path = ((self.open, first), (first, second), (second, self.close))
        for index, (a, b) in enumerate(path):
            if min(a, b) <= level <= max(a, b):
                share = (level - a) / (b - a) if b != a else 0.0
                return self.start_ms + int((index + share) * _THIRD_MS)
        return None

    def clamp(self, ticks: int) -> int:
        """`ticks` moved inside the bar's range (a fill never prints outside its bar)."""
        return min(self.high, max(self.low, ticks))


class RandomWalk:
    """The bars of one instrument, minute after minute."""

    def __init__(self, instrument: Instrument, rng: random.Random) -> None:
        self.instrument = instrument
        self._rng = rng
        self._start = round(instrument.start_price / instrument.tick)
        self._ticks = self._start

    def bar(self, start_ms: int) -> Bar:
        """The bar opening at `start_ms` (the next one: call in time order)."""
        rng, sigma = self._rng, self.instrument.volatility_ticks
        random_ = rng.random
        open_ = self._ticks
        close = self._reflect(open_ + round(rng.gauss(0.0, sigma)))
        high = max(open_, close) + int(random_() * sigma)  # wicks: up to one sigma
        low = min(open_, close) - int(random_() * sigma)
        self._ticks = close
        volume = int(rng.expovariate(1 / 400)) + 1
        return Bar(start_ms, open_, high, max(1, low), close, volume, random_() < 0.5)

    def _reflect(self, ticks: int) -> int:
        low, high = self._start // 2, self._start * 2
        if ticks < low:
            return 2 * low - ticks
        if ticks > high:
            return 2 * high - ticks
        return ticks


class Market:
    """The bars of several instruments for a common clock: every run trading a symbol at the
    same minute sees the same bar."""

    def __init__(self, instruments: Sequence[Instrument], rng: random.Random) -> None:
        self._walks = {i.symbol: RandomWalk(i, rng) for i in instruments}
        self._minute_ms: int | None = None
        self._bars: dict[str, Bar] = {}

    def bars(self, start_ms: int) -> dict[str, Bar]:
        """Every instrument's bar opening at `start_ms` (the same minute again: the same bars)."""
        if start_ms != self._minute_ms:
            if self._minute_ms is not None and start_ms < self._minute_ms:
                raise ValueError("the market only moves forward")
            self._bars = {symbol: walk.bar(start_ms) for symbol, walk in self._walks.items()}
            self._minute_ms = start_ms
        return self._bars
