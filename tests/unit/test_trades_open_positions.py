"""Positions still open after the last fill: marked at the last bar close, kept out of the
closed trades, and carrying the id of the trade they will become."""

import pytest

from projector.trades import Direction
from tests.fixtures.trade_builders import fills, minute_bars, run


def test_open_position_is_marked_at_the_last_bar_close_and_is_not_a_trade() -> None:
    result = run("B 10@100 f1; S 4@110 f0.4", bars={"ES": minute_bars([101, 104, 105])})

    assert result.trades == ()
    (position,) = result.open_positions
    assert (position.side, position.quantity, position.peak_quantity) == (Direction.LONG, 6, 10)
    assert (position.average_cost, position.mark_price) == (100, 105)
    assert position.realized_pnl == 40
    assert position.commission == pytest.approx(1.4)
    assert position.unrealized_pnl == 30
    assert position.pnl_net == pytest.approx(40 - 1.4 + 30)


def test_open_short_gains_when_the_last_close_is_below_its_cost() -> None:
    result = run("S 3@50", multipliers={"ES": 2}, bars={"ES": minute_bars([49, 48])})

    (position,) = result.open_positions
    assert position.side == Direction.SHORT
    assert position.unrealized_pnl == (50 - 48) * 3 * 2


def test_open_position_without_bars_has_no_mark() -> None:
    (position,) = run("B 1@100").open_positions

    assert (position.mark_price, position.unrealized_pnl) == (None, None)
    assert position.pnl_net == 0


def test_open_position_shares_its_id_with_the_trade_it_becomes() -> None:
    entry, exit_ = fills("B 1@100; S 1@101")

    (position,) = run([entry]).open_positions
    (trade,) = run([entry, exit_]).trades

    assert position.trade_id == trade.trade_id
