"""What run metrics read: one run's trades, open positions, equity curve, span, fills and
order facts, as a plain frozen value the runner builds (or `report_run` builds for it).

periods_per_year (for annualising daily ratios) is the run's own attribute when it sent one;
otherwise it follows the asset class of its instruments: 252 trading days for equities and
futures, 260 weekdays for FX, 365 days for crypto, and 252 when the class is unknown.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projector.metrics.equity import EquityCurve
from projector.metrics.execution import OrderFact
from projector.metrics.exposure import Span
from projector.trades.inputs import Fill
from projector.trades.model import OpenPosition, Trade

DEFAULT_PERIODS_PER_YEAR = 252.0
PERIODS_PER_YEAR_BY_ASSET_CLASS = {
    "EQUITY": 252.0,
    "STOCK": 252.0,
    "ETF": 252.0,
    "FUTURE": 252.0,
    "FUTURES": 252.0,
    "OPTION": 252.0,
    "INDEX": 252.0,
    "FX": 260.0,
    "FOREX": 260.0,
    "CFD": 260.0,
    "CRYPTO": 365.0,
}


def periods_per_year_of(run_value: float | None, asset_class: str | None) -> float:
    """The run's own value when positive, else its asset class's default."""
    if run_value is not None and run_value > 0:
        return float(run_value)
    key = (asset_class or "").strip().upper()
    return PERIODS_PER_YEAR_BY_ASSET_CLASS.get(key, DEFAULT_PERIODS_PER_YEAR)


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the strategy_runs, instruments and orders rows add to a reconstruction.

    `start_utc`/`end_utc` bound the run's span (exposure, CAGR); when missing, the span is
    observed: first bar or fill to last bar or fill.
    """

    initial_balance: float | None = None
    periods_per_year: float | None = None
    asset_class: str | None = None
    start_utc: datetime | None = None
    end_utc: datetime | None = None
    orders: Sequence[OrderFact] = ()


@dataclass(frozen=True, slots=True)
class MetricsInputs:
    """One run, ready to be measured alone or together with other runs."""

    trades: Sequence[Trade]
    open_positions: Sequence[OpenPosition]
    equity: EquityCurve
    span: Span | None
    fills: Sequence[Fill] = ()
    orders: Sequence[OrderFact] = ()
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR
