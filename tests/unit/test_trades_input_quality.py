"""Fills that cannot be applied as they are: held (order unknown), zero, negative or dust
quantities, duplicates, fills of canceled orders, and float residue around flat."""

from dataclasses import replace

import pytest

from projector.trades import DuplicateExecutionError, FlagKind, QualityFlag
from tests.fixtures.trade_builders import fills, run


def test_fill_before_its_order_is_held_then_counted_once_the_order_arrives() -> None:
    entry, exit_ = fills("B 2@100; S 2@103")
    orphan = replace(exit_, side=None, symbol=None, account_id=None)

    held = run([entry, orphan])
    resolved = run([entry, exit_])

    assert held.trades == ()
    assert [(f.kind, f.execution_id) for f in held.flags] == [(FlagKind.HELD, "x2")]
    assert held.open_positions[0].quantity == 2
    (trade,) = resolved.trades
    assert (trade.pnl_gross, resolved.flags) == (6, ())


def test_fill_of_a_canceled_order_still_counts_because_it_happened() -> None:
    # Order status is not an input: a fill reported after its order's CANCELED still traded.
    (trade,) = run("B 1@100 order=working; S 1@105 order=canceled-later").trades

    assert (trade.exit_order_id, trade.pnl_gross) == ("canceled-later", 5)


def test_the_same_execution_given_twice_is_refused_as_a_runner_error() -> None:
    entry, exit_ = fills("B 1@100; S 1@101")

    with pytest.raises(DuplicateExecutionError) as raised:
        run([entry, exit_, entry])

    assert raised.value.execution_ids == ["x1"]


def test_each_execution_given_once_is_counted_once() -> None:
    (trade,) = run("B 1@100; S 1@101").trades

    assert (trade.fill_count, trade.pnl_gross) == (2, 1)


@pytest.mark.parametrize(
    ("quantity", "kind"),
    [(0.0, FlagKind.ZERO_QUANTITY), (-3.0, FlagKind.NEGATIVE_QUANTITY), (4e-10, FlagKind.DUST)],
)
def test_unusable_quantity_is_flagged_and_leaves_the_position_alone(
    quantity: float, kind: FlagKind
) -> None:
    entry, bad, exit_ = fills("B 2@100; S 1@50; S 2@101")

    result = run([entry, replace(bad, quantity=quantity), exit_])

    assert result.flags == (QualityFlag(kind, "x2", "o2", bad.exec_utc, quantity),)
    (trade,) = result.trades
    assert (trade.fill_count, trade.pnl_gross) == (2, 2)


def test_float_residue_of_partial_fills_does_not_leave_a_position_open() -> None:
    assert 0.1 + 0.2 - 0.3 != 0  # the residue the tolerance exists for

    result = run("B 0.1@100; B 0.2@100; S 0.3@101")

    assert result.open_positions == ()
    assert result.trades[0].quantity == pytest.approx(0.3)


def test_float_residue_beyond_the_position_does_not_flip_it() -> None:
    assert 0.3 - 0.1 < 0.2  # the second sell exceeds the position by 2.8e-17

    result = run("B 0.3@100; S 0.1@101; S 0.2@101")

    assert [t.side.value for t in result.trades] == ["LONG"]
    assert result.open_positions == ()


def test_fill_below_dust_is_flagged_even_when_it_would_close_a_position() -> None:
    entry, dust = fills("B 1@100; S 0.0000000001@100")

    result = run([entry, dust])

    assert [f.kind for f in result.flags] == [FlagKind.DUST]
    assert result.open_positions[0].quantity == 1
