"""Closed-trade statistics against hand-computed values, and their edge cases: no trades,
one trade, no losses, only breakevens, nets equal up to rounding."""

import math
import statistics
from dataclasses import fields

import pytest

from projector.metrics.trade_stats import TradeStats, trade_stats
from tests.fixtures.trade_builders import run, trades_with_nets

NETS = [10, -5, 20, -5, -5, 0, 15]


def test_statistics_of_a_small_trade_list_match_hand_computation() -> None:
    stats = trade_stats(trades_with_nets(NETS))

    assert (stats.trades, stats.wins, stats.losses, stats.breakevens) == (7, 3, 3, 1)
    assert (stats.net_pnl, stats.gross_profit, stats.gross_loss) == (30, 45, -15)
    assert stats.win_rate == 3 / 7
    assert (stats.profit_factor, stats.payoff_ratio) == (3, 3)
    assert (stats.average_win, stats.average_loss) == (15, -5)
    assert stats.expectancy == pytest.approx(30 / 7)
    assert stats.kelly == pytest.approx(0.5 - 0.5 / 3)
    assert stats.sqn == pytest.approx(math.sqrt(7) * (30 / 7) / statistics.stdev(NETS))
    assert (stats.largest_win, stats.largest_loss) == (20, -5)
    assert (stats.max_consecutive_wins, stats.max_consecutive_losses) == (1, 2)
    assert stats.average_duration_seconds == 60


@pytest.mark.parametrize(
    ("nets", "wins", "losses"),
    [
        ([1, 2, 3, -1], 3, 1),
        ([1, 2, 0, 3, -1, -1], 2, 2),  # a breakeven ends a streak
        ([-1, -1, -1, 5, -1], 1, 3),
    ],
)
def test_streaks_count_consecutive_wins_and_losses_in_exit_order(
    nets: list[float], wins: int, losses: int
) -> None:
    stats = trade_stats(trades_with_nets(nets))

    assert (stats.max_consecutive_wins, stats.max_consecutive_losses) == (wins, losses)


def test_streaks_follow_exit_order_whatever_order_trades_are_given_in() -> None:
    trades = trades_with_nets([1, 1, -1, -1, -1])

    assert trade_stats(tuple(reversed(trades))) == trade_stats(trades)


def test_no_trades_gives_zero_counts_and_no_ratios() -> None:
    stats = trade_stats(())

    assert (stats.trades, stats.net_pnl, stats.max_consecutive_wins) == (0, 0, 0)
    ratios = [f.name for f in fields(TradeStats) if getattr(stats, f.name) is None]
    assert ratios == [
        "win_rate", "profit_factor", "average_win", "average_loss", "payoff_ratio",
        "expectancy", "sqn", "kelly", "largest_win", "largest_loss",
        "average_duration_seconds",
    ]  # fmt: skip


def test_one_winning_trade_has_a_win_rate_but_no_dispersion_or_loss_ratios() -> None:
    stats = trade_stats(trades_with_nets([7]))

    assert (stats.win_rate, stats.expectancy, stats.largest_win) == (1, 7, 7)
    assert (stats.profit_factor, stats.payoff_ratio, stats.kelly, stats.sqn) == (None,) * 4


def test_without_losses_profit_factor_payoff_and_kelly_are_null() -> None:
    stats = trade_stats(trades_with_nets([3, 0, 5]))

    assert (stats.profit_factor, stats.payoff_ratio, stats.kelly) == (None, None, None)
    assert stats.win_rate == 2 / 3


def test_breakevens_only_are_trades_with_a_zero_win_rate() -> None:
    stats = trade_stats(trades_with_nets([0, 0]))

    assert (stats.trades, stats.breakevens, stats.win_rate) == (2, 2, 0)
    assert (stats.profit_factor, stats.sqn) == (None, None)


def test_nets_equal_up_to_rounding_have_no_sqn_rather_than_a_huge_one() -> None:
    trades = run("B 1@0.1; S 1@0.4; B 1@1; S 1@1.3; B 1@0.4; S 1@0.7").trades
    nets = [t.pnl_net for t in trades]
    assert len(set(nets)) > 1  # 0.3 each on paper, different in the last bits

    assert trade_stats(trades).sqn is None
