"""Daily risk and return ratios: bucketing by UTC date, the returns and PnL bases, and the
edge cases that must give null rather than NaN, infinity or a crash."""

import math
import statistics
from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest

from projector.metrics import ReturnBasis
from projector.metrics.equity import EquityCurve, drawn_down
from projector.metrics.returns import daily_periods, return_stats

DAY1 = datetime(2025, 3, 3, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ROOT_252 = math.sqrt(252)


def _daily(initial: float, values: list[float], start: datetime | None = None) -> EquityCurve:
    times = [DAY1 + i * DAY + 20 * HOUR for i in range(len(values))]
    return drawn_down(initial, start, times, values)


def test_a_days_equity_is_its_last_sample_and_days_without_samples_are_skipped() -> None:
    times = [DAY1 + 10 * HOUR, DAY1 + 20 * HOUR, DAY1 + DAY + 9 * HOUR, DAY1 + 4 * DAY]
    curve = drawn_down(10_000, None, times, [10_100, 10_200, 10_098, 10_200])

    basis, periods = daily_periods(curve)

    assert basis is ReturnBasis.RETURNS
    assert periods == pytest.approx([0.02, 10_098 / 10_200 - 1, 10_200 / 10_098 - 1])


def test_ratios_on_daily_returns_match_their_formulas() -> None:
    curve = _daily(1000, [1010, 1005, 1030, 1020])
    returns = [0.01, 1005 / 1010 - 1, 1030 / 1005 - 1, 1020 / 1030 - 1]
    downside = math.sqrt(sum(min(r, 0) ** 2 for r in returns) / 4)

    stats = return_stats(curve, 252)

    assert stats.sharpe == pytest.approx(
        statistics.mean(returns) / statistics.stdev(returns) * ROOT_252
    )
    assert stats.sortino == pytest.approx(statistics.mean(returns) / downside * ROOT_252)
    assert stats.volatility == pytest.approx(statistics.stdev(returns) * ROOT_252)
    assert stats.max_drawdown == 10
    assert stats.max_drawdown_pct == pytest.approx(10 / 1030)


def test_cagr_annualises_over_calendar_time_and_calmar_divides_it_by_max_drawdown() -> None:
    start = DAY1 + 20 * HOUR - 365.25 * DAY
    curve = drawn_down(1000, start, [start + 100 * DAY, DAY1 + 20 * HOUR], [900, 1210])

    stats = return_stats(curve, 252)

    assert stats.cagr == pytest.approx(0.21)
    assert stats.calmar == pytest.approx(0.21 / 0.1)


def test_without_a_starting_balance_ratios_use_daily_pnl_and_cagr_is_null() -> None:
    changes = [100.0, -50.0, 100.0]
    curve = _daily(0, [100, 50, 150])

    stats = return_stats(curve, 365)

    assert stats.basis is ReturnBasis.PNL
    assert stats.sharpe == pytest.approx(
        statistics.mean(changes) / statistics.stdev(changes) * math.sqrt(365)
    )
    assert stats.volatility == pytest.approx(statistics.stdev(changes) * math.sqrt(365))
    assert (stats.cagr, stats.calmar, stats.max_drawdown_pct) == (None, None, 0.5)


def test_returns_equal_up_to_rounding_have_zero_volatility_and_no_sharpe_or_sortino() -> None:
    curve = _daily(3, [3.3, 3.63, 3.993, 4.3923])
    _, periods = daily_periods(curve)
    assert periods is not None
    assert len(set(periods)) > 1  # 10% each on paper

    stats = return_stats(curve, 252)

    assert (stats.volatility, stats.sharpe, stats.sortino) == (0.0, None, None)


def test_without_a_losing_day_sortino_is_null_but_sharpe_is_not() -> None:
    stats = return_stats(_daily(100, [101, 103, 104]), 252)

    assert stats.sortino is None
    assert stats.sharpe is not None


def test_after_equity_reaches_zero_returns_are_undefined_and_ratios_null() -> None:
    stats = return_stats(_daily(100, [50, 0, 10]), 252)

    assert (stats.basis, stats.periods, stats.sharpe, stats.volatility) == (
        ReturnBasis.RETURNS, 0, None, None,
    )  # fmt: skip
    assert stats.cagr == -1.0


def test_a_short_run_that_would_annualise_past_float_range_has_no_cagr() -> None:
    curve = drawn_down(100, DAY1, [DAY1 + HOUR], [200])

    assert return_stats(curve, 252).cagr is None


@pytest.mark.parametrize(
    "curve",
    [
        drawn_down(0, None, [], []),
        drawn_down(1000, None, [], []),
        _daily(1000, [1000]),
        _daily(1000, [1000, 1000, 1000]),
        _daily(0, [0, 0]),
        _daily(0, [-5]),
        _daily(100, [-50, -60]),
        drawn_down(100, DAY1, [DAY1], [150]),
    ],
    ids=[
        "empty",
        "empty-funded",
        "one-day",
        "flat",
        "flat-unfunded",
        "flat-loss",
        "blown",
        "instant",
    ],
)
def test_edge_cases_give_null_ratios_never_nan_or_infinity(curve: EquityCurve) -> None:
    stats = return_stats(curve, 252)

    numbers = [v for v in astuple(stats) if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers)
    assert (stats.sharpe, stats.sortino) == (None, None)
