"""Risk and return ratios on the daily marked-to-market equity: Sharpe, Sortino, volatility,
CAGR, Calmar, and the maximum drawdown.

A day's equity is the last sample of that UTC date; only dates with a sample count (a
weekend without bars adds no zero-return days). The first day's change is from the starting
balance. With a positive starting balance the periods are simple returns E_d / E_{d-1} - 1
(basis RETURNS; undefined, so the ratios are None, once equity has fallen to 0 or below);
without one there is nothing to divide by and the ratios use daily PnL changes E_d - E_{d-1}
(basis PNL: Sharpe and Sortino stay dimensionless, volatility is in currency, CAGR and Calmar
are None). Risk-free rate 0. Annualised with the run's periods_per_year.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from projector.metrics.equity import EquityCurve
from projector.metrics.numeric import finite, is_zero_dispersion, mean, ratio, sample_std

YEAR = timedelta(days=365.25)


class ReturnBasis(StrEnum):
    RETURNS = "RETURNS"
    PNL = "PNL"


@dataclass(frozen=True, slots=True)
class ReturnStats:
    basis: ReturnBasis
    periods: int
    periods_per_year: float
    start_equity: float
    end_equity: float
    max_drawdown: float
    max_drawdown_pct: float | None
    sharpe: float | None
    sortino: float | None
    volatility: float | None
    cagr: float | None
    calmar: float | None


def daily_equity(curve: EquityCurve) -> list[tuple[date, float]]:
    """The last equity of each UTC date that has a sample, in date order."""
    days: dict[date, float] = {}
    for moment, value in zip(curve.times, curve.equity, strict=True):
        days[moment.date()] = value
    return sorted(days.items())


def daily_periods(curve: EquityCurve) -> tuple[ReturnBasis, list[float] | None]:
    """The period values the ratios use; None when returns are undefined (equity <= 0)."""
    values = [value for _, value in daily_equity(curve)]
    previous = [curve.initial, *values[:-1]] if values else []
    if curve.initial <= 0:
        return ReturnBasis.PNL, [now - before for now, before in zip(values, previous, strict=True)]
    if any(before <= 0 for before in previous):
        return ReturnBasis.RETURNS, None
    return ReturnBasis.RETURNS, [
        now / before - 1 for now, before in zip(values, previous, strict=True)
    ]


def _cagr(curve: EquityCurve) -> float | None:
    if curve.initial <= 0 or not curve.times:
        return None
    years = (curve.times[-1] - (curve.start_utc or curve.times[0])) / YEAR
    if years <= 0:
        return None
    if curve.final <= 0:
        return -1.0
    exponent = math.log(curve.final / curve.initial) / years
    # A short run annualises to astronomic figures; past e^700 a float overflows.
    return math.expm1(exponent) if exponent < 700 else None


def return_stats(curve: EquityCurve, periods_per_year: float) -> ReturnStats:
    basis, periods = daily_periods(curve)
    max_drawdown = max(curve.drawdown, default=0.0)
    known_pct = [pct for pct in curve.drawdown_pct if pct is not None]
    max_drawdown_pct = max(known_pct) if known_pct else None
    sharpe = sortino = volatility = None
    std = sample_std(periods) if periods else None
    if periods and std is not None:
        scale = 1.0 if basis is ReturnBasis.RETURNS else max(abs(v) for v in curve.equity)
        average = mean(periods) or 0.0
        annual = math.sqrt(periods_per_year)
        flat = is_zero_dispersion(std, scale)
        volatility = 0.0 if flat else std * annual
        sharpe = None if flat else ratio(average, std / annual)
        downside = math.sqrt(math.fsum(min(v, 0.0) ** 2 for v in periods) / len(periods))
        sortino = None if is_zero_dispersion(downside, scale) else ratio(average, downside / annual)
    cagr = _cagr(curve) if basis is ReturnBasis.RETURNS else None
    calmar = ratio(cagr, max_drawdown_pct) if cagr is not None and max_drawdown_pct else None
    return ReturnStats(
        basis=basis,
        periods=len(periods or ()),
        periods_per_year=periods_per_year,
        start_equity=curve.initial,
        end_equity=curve.final,
        max_drawdown=max_drawdown,
        max_drawdown_pct=max_drawdown_pct,
        sharpe=finite(sharpe),
        sortino=finite(sortino),
        volatility=finite(volatility),
        cagr=finite(cagr),
        calmar=calmar,
    )
