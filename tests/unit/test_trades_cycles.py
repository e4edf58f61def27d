"""Position cycles: scale-in and scale-out, reversals with fees, partial fills, interleaved
keys, same-time ordering, the multiplier, stable ids and exit reasons."""

import pytest

from projector.trades import Direction
from schema.enums import OcoRole
from schema.ids import stable_uuid
from tests.fixtures.trade_builders import MINUTE, RUN, T0, fills, run


def test_scale_out_realizes_each_part_at_average_cost_within_one_trade() -> None:
    (trade,) = run("B 10@100; B 10@110; S 5@120; S 15@115").trades

    assert (trade.quantity, trade.entered_quantity, trade.fill_count) == (20, 20, 4)
    assert trade.entry_price == 105
    assert trade.exit_price == pytest.approx(116.25)
    assert trade.pnl_gross == pytest.approx(5 * 15 + 15 * 10)


def test_scale_in_after_a_partial_exit_stays_one_cycle_with_peak_quantity() -> None:
    (trade,) = run("B 10@100; S 5@110; B 5@120; S 10@130").trades

    assert (trade.quantity, trade.entered_quantity) == (10, 15)
    assert trade.pnl_gross == pytest.approx(5 * 10 + 10 * 20)
    # Over a whole cycle average cost and VWAPs agree: (exit - entry) x entered quantity.
    assert (trade.exit_price - trade.entry_price) * 15 == pytest.approx(trade.pnl_gross)


def test_each_reversal_splits_its_fee_by_quantity_between_the_two_trades() -> None:
    trades = run("B 2@10 f0.2; S 5@12 f0.5; B 6@11 f0.6; S 3@13 f0.3").trades

    assert [t.side for t in trades] == [Direction.LONG, Direction.SHORT, Direction.LONG]
    assert [t.quantity for t in trades] == [2, 3, 3]
    assert [t.pnl_gross for t in trades] == pytest.approx([4, 3, 6])
    assert [t.commission for t in trades] == pytest.approx([0.4, 0.6, 0.6])
    assert [t.pnl_net for t in trades] == pytest.approx([3.6, 2.4, 5.4])
    assert [t.entry_utc for t in trades[1:]] == [t.exit_utc for t in trades[:-1]]


def test_partial_fills_of_one_order_make_one_trade_not_several() -> None:
    script = "B 3@100 order=A; B 3@100.5 order=A; B 4@101 order=A; S 5@102 order=B; S 5@103 order=B"

    (trade,) = run(script).trades

    assert (trade.fill_count, trade.quantity) == (5, 10)
    assert (trade.entry_order_id, trade.exit_order_id) == ("A", "B")


def test_interleaved_symbols_and_accounts_are_separate_positions() -> None:
    script = (
        "B 1@100 sym=ES; S 2@50 sym=NQ; B 1@101 sym=ES acct=B; S 1@104 sym=ES;"
        "B 2@45 sym=NQ; S 1@99 sym=ES acct=B"
    )

    trades = run(script).trades

    summary = [(t.account_id, t.symbol, t.side, t.pnl_net) for t in trades]
    assert summary == [
        ("ACC", "ES", Direction.LONG, 4),
        ("ACC", "NQ", Direction.SHORT, 10),
        ("B", "ES", Direction.LONG, -2),
    ]


def test_fills_at_the_same_time_apply_in_log_position_order_not_input_order() -> None:
    # Listed sell first, but the buy has the lower log position: a long, not a short.
    (trade,) = run("S 10@110 t=1 pos=8; B 10@100 t=1 pos=7").trades

    assert (trade.side, trade.pnl_gross) == (Direction.LONG, 100)


def test_execution_id_breaks_a_tie_of_time_and_position() -> None:
    first = fills("B 1@100 t=1 pos=3", prefix="a")
    second = fills("S 1@90 t=1 pos=3", prefix="b")

    (trade,) = run(second + first).trades

    assert (trade.side, trade.exit_execution_id) == (Direction.LONG, "b1")


def test_multiplier_scales_pnl_and_the_return_is_on_peak_notional() -> None:
    (trade,) = run("B 2@5000 f2.5; S 2@5010 f2.5", multipliers={"ES": 50}).trades

    assert (trade.pnl_gross, trade.pnl_net, trade.multiplier) == (1000, 995, 50)
    assert trade.trade_return == pytest.approx(995 / (5000 * 2 * 50))


def test_trade_ids_derive_from_run_account_symbol_and_cycle_number() -> None:
    script = "B 1@100; S 1@101; S 1@102; B 1@101"

    first, second = run(script).trades

    assert [first.cycle, second.cycle] == [1, 2]
    assert first.trade_id == stable_uuid("trade", RUN, "ACC", "ES", "1")
    assert [t.trade_id for t in run(script).trades] == [first.trade_id, second.trade_id]


@pytest.mark.parametrize(
    ("role", "reason"),
    [(OcoRole.TP, "TP"), (OcoRole.SL, "SL"), (OcoRole.EXIT, "EXIT"), (OcoRole.ENTRY, None)],
)
def test_exit_reason_is_the_oco_role_of_the_closing_order(
    role: OcoRole, reason: str | None
) -> None:
    (trade,) = run("B 1@100 order=entry; S 1@101 order=exit", oco_roles={"exit": role}).trades

    assert trade.exit_reason == reason


def test_closing_order_without_an_oco_link_has_no_exit_reason() -> None:
    (trade,) = run("B 1@100; S 1@101", oco_roles={"o1": OcoRole.ENTRY}).trades

    assert trade.exit_reason is None


def test_durations_and_times_come_from_the_first_and_closing_fills() -> None:
    (trade,) = run("B 1@100 t=0; B 1@100 t=2; S 2@100 t=7.5").trades

    assert (trade.entry_utc, trade.exit_utc) == (T0, T0 + 7.5 * MINUTE)
    assert trade.duration_seconds == 450
