"""Market regime tags of a trade, from the bars that had closed when it was entered.

Both tags read close-to-close differences, which are scale-free in ratio and, unlike log
returns, defined for zero or negative prices (spreads, some futures).
- Trend: over the last TREND_WINDOW differences, the drift's t-statistic
  t = sum(d) / (sd(d) x sqrt(n)); UP when t >= TREND_THRESHOLD, DOWN when t <= -it, else
  RANGE; a window with no dispersion is UP/DOWN/RANGE by the sign of its sum.
- Volatility: sd of the last TREND_WINDOW differences over sd of the last VOLATILITY_WINDOW;
  LOW below LOW_RATIO, HIGH above HIGH_RATIO, else NORMAL (NORMAL when nothing moved).
A tag is None until enough bars have closed (TREND_WINDOW + 1 closes for the trend,
VOLATILITY_WINDOW + 1 for volatility). sd uses n - 1.
"""

import math
from datetime import datetime
from enum import StrEnum

from projector.trades.bars import BarIndex

TREND_WINDOW = 20
VOLATILITY_WINDOW = 100
TREND_THRESHOLD = 1.0
LOW_RATIO = 0.8
HIGH_RATIO = 1.25


class Trend(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    RANGE = "RANGE"


class Volatility(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


def _window(index: BarIndex, closed: int, width: int) -> tuple[float, float] | None:
    """Mean and sd of the last `width` differences among the first `closed` bars."""
    last = closed - 1  # differences between the first `closed` closes: indices 0..closed-2
    first = last - width
    if first < 0:
        return None
    total = index.diff_sums[last] - index.diff_sums[first]
    squares = index.square_sums[last] - index.square_sums[first]
    # Running sums cancel a little: a window without dispersion can come out at -1e-12.
    variance = max(0.0, (squares - total * total / width) / (width - 1))
    return total / width, math.sqrt(variance)


def _trend(mean: float, sd: float) -> Trend:
    if sd == 0.0:
        statistic = math.copysign(math.inf, mean) if mean else 0.0
    else:
        statistic = mean / sd * math.sqrt(TREND_WINDOW)
    if statistic >= TREND_THRESHOLD:
        return Trend.UP
    if statistic <= -TREND_THRESHOLD:
        return Trend.DOWN
    return Trend.RANGE


def _volatility(short_sd: float, long_sd: float) -> Volatility:
    if long_sd == 0.0:
        return Volatility.NORMAL
    ratio = short_sd / long_sd
    if ratio < LOW_RATIO:
        return Volatility.LOW
    if ratio > HIGH_RATIO:
        return Volatility.HIGH
    return Volatility.NORMAL


def regime_at(index: BarIndex | None, moment: datetime) -> tuple[Trend | None, Volatility | None]:
    """(trend, volatility) from the bars closed by `moment`; None where history is short."""
    if index is None:
        return None, None
    closed = index.closed_by(moment)
    short = _window(index, closed, TREND_WINDOW)
    if short is None:
        return None, None
    long = _window(index, closed, VOLATILITY_WINDOW)
    volatility = _volatility(short[1], long[1]) if long is not None else None
    return _trend(*short), volatility
