"""The worked cases of DESIGN §5.1, exactly as written there (multiplier 1, fees in account
currency), including the FIFO view of the scale-in case."""

import pytest

from projector.trades import Direction, Outcome
from tests.fixtures.trade_builders import run


def test_round_trip_is_one_trade_with_both_fees_in_its_net() -> None:
    (trade,) = run("B 10@100 f1; S 10@110 f1").trades

    assert (trade.side, trade.quantity) == (Direction.LONG, 10)
    assert (trade.pnl_gross, trade.commission, trade.pnl_net) == (100, 2, 98)


def test_scale_in_is_one_trade_at_the_average_entry_and_fifo_splits_it_198_and_98() -> None:
    result = run("B 10@100 f1; B 10@110 f1; S 20@120 f2")

    (trade,) = result.trades
    assert (trade.quantity, trade.entry_price, trade.exit_price) == (20, 105, 120)
    assert (trade.pnl_gross, trade.commission, trade.pnl_net) == (300, 4, 296)
    assert [match.pnl_net for match in result.matches] == [198, 98]
    assert [match.quantity for match in result.matches] == [10, 10]


def test_flip_splits_the_fill_and_its_fee_into_a_long_and_a_short() -> None:
    long, short = run("B 10@100 f1; S 15@110 f1.5; B 5@105 f0.5").trades

    assert (long.side, long.quantity, long.pnl_gross, long.pnl_net) == (Direction.LONG, 10, 100, 98)
    assert (short.side, short.quantity, short.entry_price, short.exit_price) == (
        Direction.SHORT,
        5,
        110,
        105,
    )
    assert (short.pnl_gross, short.commission, short.pnl_net) == (25, 1, 24)


def test_short_round_trip_profits_from_the_fall() -> None:
    (trade,) = run("S 5@50 f0.25; B 5@45 f0.25").trades

    assert trade.side == Direction.SHORT
    assert (trade.pnl_gross, trade.pnl_net) == (25, 24.5)


def test_flat_round_trip_without_fees_is_a_breakeven_trade() -> None:
    (trade,) = run("B 1@100; S 1@100").trades

    assert trade.pnl_net == 0
    assert trade.outcome == Outcome.BREAKEVEN


@pytest.mark.parametrize(
    "script",
    [
        "B 10@100 f1; S 10@110 f1",
        "B 10@100 f1; B 10@110 f1; S 20@120 f2",
        "B 10@100 f1; S 15@110 f1.5; B 5@105 f0.5",
        "S 5@50 f0.25; B 5@45 f0.25",
        "B 1@100; S 1@100",
    ],
)
def test_every_worked_case_ends_flat_with_fifo_nets_equal_to_trade_nets(script: str) -> None:
    result = run(script)

    assert result.open_positions == ()
    for trade in result.trades:
        nets = [m.pnl_net for m in result.matches if m.trade_id == trade.trade_id]
        assert sum(nets) == pytest.approx(trade.pnl_net, abs=1e-12)
