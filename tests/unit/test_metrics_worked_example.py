"""The worked example of docs/metrics.md, figure by figure: four closed trades and one open
position in ES over four days, daily bars, a 10,000 starting balance, ten orders.

If a figure here changes, the document is wrong: update both together.
"""

from datetime import UTC, datetime, timedelta

import pytest

from projector.metrics import OrderFact, RunFacts, RunReport, report_run
from projector.trades import Bar, Fill, RunInputs
from schema.enums import OrderStatus, OrderType, Side


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 2 + day, hour, minute, tzinfo=UTC)


# order, day, hour, minute, side, quantity, price, fee, (type, limit, stop), submit latency ms
FILLS = [
    ("o1", 1, 15, 0, Side.BUY, 10, 100, 1, (OrderType.MARKET, None, None), 100),
    ("o2", 1, 16, 0, Side.SELL, 10, 110, 1, (OrderType.LIMIT, 110, None), 250),
    ("o3", 2, 15, 0, Side.BUY, 10, 110, 1, (OrderType.STOP, None, 109.8), 40),
    ("o4", 2, 16, 0, Side.SELL, 10, 104, 1, (OrderType.STOP, None, 104.5), 60),
    ("o5", 3, 15, 0, Side.BUY, 5, 104, 0, (OrderType.LIMIT, 104, None), 1000),
    ("o6", 3, 15, 30, Side.SELL, 5, 104, 0, (OrderType.LIMIT, 104, None), 80),
    ("o7", 3, 16, 0, Side.BUY, 10, 100, 1, (OrderType.LIMIT, 100.25, None), 3000),
    ("o8", 4, 16, 0, Side.SELL, 10, 115, 1, (OrderType.MARKET, None, None), 120),
    ("o9", 4, 17, 0, Side.BUY, 2, 115, 0.5, (OrderType.MARKET, None, None), 90),
]
DAILY_BARS = [(100, 111, 99, 110), (110, 111, 103, 104), (104, 113, 99, 112), (112, 121, 111, 120)]


def _example() -> RunReport:
    fills, orders = [], []
    for number, row in enumerate(FILLS, start=1):
        order_id, day, hour, minute, side, quantity, price, fee, kind, latency = row
        order_type, limit, stop = kind
        exec_utc = _at(day, hour, minute)
        fills.append(
            Fill(f"x{number}", order_id, exec_utc, number, quantity, price, side, "ES", "ACC", fee)
        )
        orders.append(
            OrderFact(
                order_id=order_id,
                status=OrderStatus.FILLED,
                order_type=order_type,
                quantity=quantity,
                price=limit,
                stop_price=stop,
                filled_quantity=quantity,
                submit_utc=exec_utc - timedelta(milliseconds=latency),
                first_fill_utc=exec_utc,
            )
        )
    orders.append(OrderFact("o10", OrderStatus.CANCELED, OrderType.LIMIT, 5, 95, None, 0.0))
    bars = [
        Bar(_at(day, 14, 30), o, h, low, c, end_utc=_at(day, 21))
        for day, (o, h, low, c) in enumerate(DAILY_BARS, start=1)
    ]
    return report_run(
        RunInputs("example", fills, bars={"ES": bars}),
        RunFacts(
            initial_balance=10_000, periods_per_year=252, start_utc=_at(1, 14, 30), orders=orders
        ),
    )


EXAMPLE = _example()


def test_trades_and_open_position_of_the_example() -> None:
    trades = EXAMPLE.reconstruction.trades
    (position,) = EXAMPLE.reconstruction.open_positions

    assert [t.pnl_net for t in trades] == [98, -62, 0, 148]
    assert [t.outcome.value for t in trades] == ["WIN", "LOSS", "BREAKEVEN", "WIN"]
    assert (position.unrealized_pnl, position.commission, position.pnl_net) == (10, 0.5, 9.5)


def test_equity_curve_and_drawdowns_of_the_example() -> None:
    curve = EXAMPLE.equity

    assert curve.equity == (10_000, 10_098, 10_036, 10_155, 10_193.5)
    assert curve.drawdown == (0, 0, 62, 0, 0)
    assert curve.drawdown_pct[2] == pytest.approx(62 / 10_098)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("trades", 4), ("wins", 2), ("losses", 1), ("breakevens", 1), ("gross_pnl", 190),
        ("fees", 6), ("net_pnl", 184), ("gross_profit", 246), ("gross_loss", -62),
        ("win_rate", 0.5), ("profit_factor", 3.967742), ("average_win", 123),
        ("average_loss", -62), ("payoff_ratio", 1.983871), ("expectancy", 46),
        ("sqn", 0.971783), ("kelly", 0.498645), ("largest_win", 148), ("largest_loss", -62),
        ("max_consecutive_wins", 1), ("max_consecutive_losses", 1),
        ("average_duration_seconds", 23_850),
    ],
)  # fmt: skip
def test_trade_statistics_of_the_example(name: str, value: float) -> None:
    assert getattr(EXAMPLE.metrics.trades, name) == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("periods", 4), ("start_equity", 10_000), ("end_equity", 10_193.5),
        ("max_drawdown", 62), ("max_drawdown_pct", 0.00613983), ("sharpe", 9.492504),
        ("sortino", 24.961313), ("volatility", 0.1281484), ("cagr", 7.500723),
        ("calmar", 1221.650068),
    ],
)  # fmt: skip
def test_return_statistics_of_the_example(name: str, value: float) -> None:
    assert getattr(EXAMPLE.metrics.returns, name) == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("orders", 10), ("canceled_orders", 1), ("cancel_ratio", 0.1),
        ("fill_ratio", 72 / 77), ("slippage_fills", 6), ("slippage_mean", 0.09),
        ("slippage_mean_bps", 8.224834), ("latency_samples", 9), ("latency_p50_ms", 100),
        ("latency_mean_ms", 526.666667),
    ],
)  # fmt: skip
def test_execution_statistics_of_the_example(name: str, value: float) -> None:
    assert getattr(EXAMPLE.metrics.execution, name) == pytest.approx(value, rel=1e-6)


def test_exposure_and_totals_of_the_example() -> None:
    metrics = EXAMPLE.metrics

    assert metrics.time_in_market_seconds == 30.5 * 3600
    assert metrics.exposure == pytest.approx(30.5 / 78.5)
    assert (metrics.open_positions, metrics.open_pnl, metrics.total_pnl) == (1, 9.5, 193.5)
    assert metrics.total_pnl == EXAMPLE.equity.final - EXAMPLE.equity.initial


def test_example_trades_have_no_regime_with_four_bars_of_history() -> None:
    assert [(r.dimension, r.regime, r.trades) for r in EXAMPLE.metrics.regimes] == [
        ("trend", "UNKNOWN", 4),
        ("volatility", "UNKNOWN", 4),
    ]
