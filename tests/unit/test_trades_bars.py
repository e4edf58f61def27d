"""What trades read from bars: excursions over the bars wholly inside the trade, and regime
tags from the bars closed before entry (None until enough history)."""

from datetime import timedelta

import pytest

from projector.trades import Bar
from projector.trades.bars import index_bars
from projector.trades.regime import TREND_WINDOW, VOLATILITY_WINDOW, regime_at
from tests.fixtures.trade_builders import MINUTE, T0, minute_bars, run


def _bar(minute: int, low: float, high: float) -> Bar:
    return Bar(T0 + minute * MINUTE, open=100, high=high, low=low, close=100)


BARS = [_bar(0, 50, 150), _bar(1, 97, 104), _bar(2, 95, 102), _bar(3, 60, 140)]


@pytest.mark.parametrize(
    ("script", "mfe", "mae"),
    [
        # Entry inside bar 0, exit inside bar 3: only bars 1 and 2 lie wholly inside.
        ("B 2@100 t=0.5; S 2@101 t=3.5", (104 - 100) * 2, (100 - 95) * 2),
        ("S 2@100 t=0.5; B 2@101 t=3.5", (100 - 95) * 2, (104 - 100) * 2),
        # A bar ending exactly at the exit lies inside; the fills' prices count too.
        ("B 1@100 t=1; S 1@106 t=3", 106 - 100, 100 - 95),
    ],
)
def test_excursions_use_bars_wholly_inside_the_trade_and_its_fill_prices(
    script: str, mfe: float, mae: float
) -> None:
    (trade,) = run(script, bars={"ES": BARS}).trades

    assert (trade.mfe, trade.mae) == (mfe, mae)


def test_excursions_are_in_currency_for_the_peak_quantity() -> None:
    (trade,) = run("B 2@100 t=0.5; S 2@101 t=3.5", {"ES": 5}, bars={"ES": BARS}).trades

    assert (trade.mfe, trade.mae) == (4 * 2 * 5, 5 * 2 * 5)


def test_trade_without_bars_for_its_symbol_has_no_excursions_or_regime() -> None:
    (trade,) = run("B 1@100; S 1@101", bars={"NQ": BARS}).trades

    assert (trade.mfe, trade.mae, trade.regime_trend, trade.regime_volatility) == (None,) * 4


def _closes_rising(count: int) -> list[float]:
    return [100 + i + (0.3 if i % 2 else 0) for i in range(count)]


@pytest.mark.parametrize(
    ("closes", "trend"),
    [
        (_closes_rising(30), "UP"),
        ([200 - c for c in _closes_rising(30)], "DOWN"),
        ([100 + (i % 2) for i in range(30)], "RANGE"),
        ([100.0] * 30, "RANGE"),
        ([100.0 + i for i in range(30)], "UP"),
    ],
)
def test_trend_is_the_sign_of_a_significant_drift_before_entry(
    closes: list[float], trend: str
) -> None:
    index = index_bars(minute_bars(closes))

    assert regime_at(index, T0 + len(closes) * MINUTE)[0] == trend


def test_regime_is_none_until_enough_bars_have_closed_before_entry() -> None:
    index = index_bars(minute_bars(_closes_rising(VOLATILITY_WINDOW + 1)))

    def tags(closed_bars: int) -> tuple[str | None, str | None]:
        return regime_at(index, T0 + closed_bars * MINUTE)

    assert tags(TREND_WINDOW) == (None, None)
    assert tags(TREND_WINDOW + 1)[0] == "UP"
    assert tags(VOLATILITY_WINDOW)[1] is None
    assert tags(VOLATILITY_WINDOW + 1)[1] is not None


@pytest.mark.parametrize(
    ("late_swing", "volatility"), [(5.0, "HIGH"), (0.1, "LOW"), (1.0, "NORMAL")]
)
def test_volatility_compares_the_last_20_moves_with_the_last_100(
    late_swing: float, volatility: str
) -> None:
    swings = [1.0] * (VOLATILITY_WINDOW - TREND_WINDOW) + [late_swing] * TREND_WINDOW
    closes = [100.0]
    for i, swing in enumerate(swings):
        closes.append(closes[-1] + (swing if i % 2 else -swing))
    index = index_bars(minute_bars(closes))

    assert regime_at(index, T0 + len(closes) * MINUTE)[1] == volatility


def test_trade_is_tagged_from_bars_closed_by_its_entry_not_after() -> None:
    closes = _closes_rising(TREND_WINDOW + 1) + [50.0] * 40
    entry = T0 + (TREND_WINDOW + 1) * MINUTE

    trades = run(
        f"B 1@120 t={TREND_WINDOW + 1}; S 1@50 t=60", bars={"ES": minute_bars(closes)}
    ).trades

    assert trades[0].entry_utc == entry
    assert trades[0].regime_trend == "UP"


def test_bar_without_end_lasts_until_the_next_one_and_the_last_as_long_as_its_predecessor() -> None:
    index = index_bars([Bar(T0 + 2 * MINUTE, 1, 1, 1, 1), Bar(T0, 1, 1, 1, 1)])

    assert index.ends == (T0 + 2 * MINUTE, T0 + 4 * MINUTE)
    assert index.closed_by(T0 + 2 * MINUTE - timedelta(microseconds=1)) == 0
    assert index.closed_by(T0 + 2 * MINUTE) == 1
