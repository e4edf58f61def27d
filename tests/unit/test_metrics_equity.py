"""The marked-to-market equity curve: where it is sampled, how positions are marked, the
drawdown from the starting balance, and several runs summed."""

from collections.abc import Mapping, Sequence

import pytest

from projector.metrics import EquityCurve, build_equity_curve, combined_equity
from projector.trades import Bar
from projector.trades.bars import index_bars
from tests.fixtures.trade_builders import MINUTE, T0, minute_bars, run


def _curve(
    script: str,
    bars: Mapping[str, Sequence[Bar]] | None = None,
    initial: float = 0.0,
    multipliers: dict[str, float] | None = None,
) -> EquityCurve:
    bars = bars or {}
    result = run(script, multipliers=multipliers, bars=bars)
    indexed = {symbol: index_bars(series) for symbol, series in bars.items()}
    return build_equity_curve(result.changes, indexed, initial, start_utc=None)


def test_equity_is_sampled_at_bar_closes_with_open_positions_marked_there() -> None:
    # Bars end at minutes 1, 2, 3; buy inside the first bar, sell inside the third.
    curve = _curve("B 2@100 t=0.5 f1; S 2@103 t=2.5 f1", {"ES": minute_bars([101, 102, 104])})

    assert curve.times == (T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE)
    assert curve.equity == (-1 + 2 * 1, -1 + 2 * 2, 6 - 2)


def test_without_bars_equity_is_sampled_at_fills_and_positions_are_not_marked() -> None:
    curve = _curve("B 1@100 f1; S 1@110 f1; B 1@90")

    assert curve.times == (T0, T0 + MINUTE, T0 + 2 * MINUTE)
    assert curve.equity == (-1, 8, 8)


def test_fills_after_the_last_bar_close_are_sampled_at_their_own_time() -> None:
    curve = _curve("B 1@100 t=0.5; S 1@101 t=5", {"ES": minute_bars([100, 103])})

    assert curve.times[-1] == T0 + 5 * MINUTE
    assert curve.equity == (0, 3, 1)


def test_fills_at_a_bar_close_are_in_that_sample() -> None:
    curve = _curve("B 1@100 t=1", {"ES": minute_bars([99, 104])})

    assert curve.equity == (-1, 4)


def test_positions_of_several_accounts_and_symbols_are_marked_with_their_multiplier() -> None:
    script = "B 1@100 t=0.5; B 2@100 t=0.5 acct=B; S 1@50 t=0.5 sym=NQ"
    bars = {"ES": minute_bars([100, 101]), "NQ": minute_bars([50, 48])}

    curve = _curve(script, bars, multipliers={"NQ": 20})

    assert curve.equity == (0, 3 * 1 + 2 * 20)


def test_drawdown_runs_from_the_starting_balance_including_a_loss_from_the_start() -> None:
    curve = _curve("B 1@100 f1; S 1@90 f1; B 1@90; S 1@120", initial=1000)

    assert curve.equity == (999, 988, 988, 1018)
    assert curve.drawdown == (1, 12, 12, 0)
    assert curve.drawdown_pct[:2] == pytest.approx((0.001, 0.012))


def test_drawdown_percentage_is_null_while_the_peak_is_not_positive() -> None:
    curve = _curve("B 1@100; S 1@90; B 1@90; S 1@105", initial=0)

    assert curve.drawdown == (0, 10, 10, 0)
    assert curve.drawdown_pct == (None, None, None, 0.0)


def test_starting_point_is_added_when_the_run_starts_before_its_first_sample() -> None:
    result = run("B 1@100; S 1@99")

    curve = build_equity_curve(result.changes, {}, 50.0, start_utc=T0 - MINUTE)

    assert (curve.times[0], curve.equity[0]) == (T0 - MINUTE, 50)
    assert curve.final == 49


def test_curves_of_several_runs_sum_their_balances_and_changes() -> None:
    first = build_equity_curve(run("B 1@100 t=1; S 1@110 t=3").changes, {}, 100.0)
    second = build_equity_curve(run("S 1@50 t=2; B 1@45 t=4").changes, {}, 50.0)

    both = combined_equity([first, second])

    assert both.initial == 150
    assert both.times == tuple(T0 + n * MINUTE for n in (1, 2, 3, 4))
    assert both.equity == (150, 150, 160, 165)


def test_combining_one_curve_returns_it_unchanged() -> None:
    curve = _curve("B 1@100; S 1@101")

    assert combined_equity([curve]) is curve
