"""The trade test builders build what their tests say they do."""

from schema.enums import Side
from tests.fixtures.trade_builders import MINUTE, T0, fills, minute_bars, trades_with_nets


def test_script_items_become_fills_a_minute_apart_in_log_order() -> None:
    first, second = fills("B 10@100 f1; S 10@110.5 f1.25")

    assert (first.side, first.quantity, first.price, first.fee) == (Side.BUY, 10, 100, 1)
    assert (second.side, second.quantity, second.price, second.fee) == (Side.SELL, 10, 110.5, 1.25)
    assert (first.exec_utc, second.exec_utc) == (T0, T0 + MINUTE)
    assert (first.position, second.position) == (1, 2)


def test_script_options_override_time_symbol_account_order_and_position() -> None:
    (fill,) = fills("S 3@7 t=0.5 sym=NQ acct=A2 order=bracket-1 pos=40")

    assert fill.exec_utc == T0 + MINUTE / 2
    assert (fill.symbol, fill.account_id, fill.order_id, fill.position) == (
        "NQ",
        "A2",
        "bracket-1",
        40,
    )
    assert fill.fee == 0.0


def test_trades_with_nets_net_what_was_asked() -> None:
    assert [t.pnl_net for t in trades_with_nets([3, -2.5, 0])] == [3, -2.5, 0]


def test_minute_bars_open_at_the_previous_close() -> None:
    first, second = minute_bars([100.0, 102.0], spread=1.0)

    assert (second.open, second.high, second.low, second.close) == (100.0, 103.0, 99.0, 102.0)
    assert second.ts_utc - first.ts_utc == MINUTE
