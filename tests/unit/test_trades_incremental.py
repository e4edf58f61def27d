"""Applying fills incrementally: `step` is the core, `extend` continues a reconstruction with
fills that sort after it, and both agree with one `reconstruct` of all the fills."""

from dataclasses import replace

import pytest

from projector.trades import (
    OutOfOrderFillError,
    PositionKey,
    PositionState,
    Reconstruction,
    Trade,
    build_context,
    extend,
    step,
)
from tests.fixtures.trade_builders import RUN, fills, run

SCRIPT = "B 2@10 f0.2; S 5@12 f0.5 sym=NQ; S 5@12 f0.5; B 6@11 f0.6; B 5@11 sym=NQ; S 3@13"


def test_folding_step_over_a_keys_fills_gives_the_trades_of_reconstruct() -> None:
    given = fills("B 2@10 f0.2; S 5@12 f0.5; B 6@11 f0.6; S 3@13 f0.3")
    context = build_context(RUN)
    state = PositionState(PositionKey("ACC", "ES"))
    closed: list[Trade] = []
    for fill in given:
        result = step(state, fill, context)
        state = result.state
        closed.extend(result.trades)

    assert tuple(closed) == run(given).trades
    assert state.position == 0.0
    assert state.cycle == 3


@pytest.mark.parametrize("split", range(7))
def test_extending_in_two_batches_equals_one_reconstruction(split: int) -> None:
    given = fills(SCRIPT)
    context = build_context(RUN)

    first = extend(Reconstruction(RUN), given[:split], context)
    both = extend(first, given[split:], context)

    assert both == run(given)


def test_fill_sorting_before_an_applied_one_cannot_extend_the_key() -> None:
    early, late = fills("B 1@100 t=5; S 1@101 t=1")
    context = build_context(RUN)
    applied = extend(Reconstruction(RUN), [early], context)

    with pytest.raises(OutOfOrderFillError):
        extend(applied, [late], context)


def test_held_fill_resolved_in_a_later_batch_loses_its_flag() -> None:
    entry, exit_ = fills("B 1@100; S 1@101")
    context = build_context(RUN)
    held = extend(Reconstruction(RUN), [entry, replace(exit_, side=None)], context)

    resolved = extend(held, [exit_], context)

    assert len(held.flags) == 1
    assert resolved == run([entry, exit_])
