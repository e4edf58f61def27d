"""Properties of trade reconstruction over arbitrary fills: FIFO nets add up to each trade's
net, realized plus unrealized PnL is the marked-to-market equity change, batching does not
matter (incremental `extend` and per-key `step` agree with one `reconstruct`), and the fill
order is total (any permutation of the input gives the same result)."""

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projector.metrics import build_equity_curve
from projector.trades import (
    Bar,
    Fill,
    PositionKey,
    PositionState,
    Reconstruction,
    RunInputs,
    build_context,
    extend,
    reconstruct,
    step,
)
from projector.trades.model import Trade
from schema.enums import Side

T0 = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SYMBOLS = ("ES", "NQ")
# Decimal sizes make float sums miss zero (0.1 + 0.2 != 0.3).
SIZES = (0.1, 0.2, 0.3, 0.7, 1.0, 2.0, 7.5)
BAD_QUANTITIES = (0.0, -1.0, 1e-12)
ACTIONS = ("add", "add", "reduce", "close", "close", "flip", "bad")

fill_rows = st.tuples(
    st.sampled_from(ACTIONS),
    st.sampled_from(SIZES),
    st.sampled_from(BAD_QUANTITIES),
    st.integers(9_000, 11_000).map(lambda cents: cents / 100),
    st.sampled_from((0.0, 0.1, 0.25, 1.0)),
    st.integers(0, 30),  # minutes after T0: few values, so times tie often
    st.sampled_from(SYMBOLS),
    st.sampled_from(("A", "B")),
)


def _intended(action: str, size: float, bad: float, held: float, coin: bool) -> tuple[float, bool]:
    """(quantity, buying) for an intent, given the key's signed position `held`; `coin`
    picks the side of an opening fill."""
    if action == "bad":
        return bad, coin
    if held == 0:
        return size, coin
    if action == "add":
        return size, held > 0
    # Rounded to 10 decimals: differs from the float-summed position by rounding noise.
    closing = round(abs(held), 10)
    return {"reduce": closing / 2, "close": closing, "flip": closing + size}[action], held < 0


@st.composite
def runs(draw: st.DrawFn) -> RunInputs:
    """A run's fills as intents (add, reduce, close, flip, bad) turned into quantities along
    each key's position in fill order, then given in drawing order."""
    rows = draw(st.lists(fill_rows, max_size=40))
    positions = draw(st.permutations(range(1, len(rows) + 1)))
    held: dict[tuple[str, str], float] = {}
    fills = []
    for index in sorted(range(len(rows)), key=lambda i: (rows[i][5], positions[i])):
        action, size, bad, price, fee, minute, symbol, account = rows[index]
        position = held.get((account, symbol), 0.0)
        quantity, buying = _intended(action, size, bad, position, draw(st.booleans()))
        if quantity > 1e-9:
            after = position + (quantity if buying else -quantity)
            held[account, symbol] = after if abs(after) > 1e-9 else 0.0
        fills.append(
            Fill(
                execution_id=f"x{index}",
                order_id=f"o{index % 7}",
                exec_utc=T0 + minute * MINUTE,
                position=positions[index],
                quantity=quantity,
                price=price,
                side=Side.BUY if buying else Side.SELL,
                symbol=symbol,
                account_id=account,
                fee=fee,
            )
        )
    fills.sort(key=lambda fill: int(fill.execution_id[1:]))
    bars = {
        symbol: [
            Bar(T0 + 4 * i * MINUTE, close, close + 1, close - 1, close, T0 + 4 * (i + 1) * MINUTE)
            for i, close in enumerate(closes)
        ]
        for symbol in SYMBOLS
        if (closes := draw(st.lists(st.integers(90, 110).map(float), max_size=9)))
    }
    multipliers = {"ES": draw(st.sampled_from((1.0, 50.0))), "NQ": 20.0}
    return RunInputs("run", fills, multipliers, {}, bars)


def _tolerance(inputs: RunInputs) -> float:
    """Float noise bound: 1e-9 of the run's traded notional."""
    notional = sum(
        abs(f.quantity * f.price) * inputs.multipliers[f.symbol or ""] for f in inputs.fills
    )
    return 1e-9 * max(1.0, notional)


@given(runs())
def test_fifo_match_nets_sum_to_their_trades_net(inputs: RunInputs) -> None:
    result = reconstruct(inputs)

    for trade in result.trades:
        nets = [m.pnl_net for m in result.matches if m.trade_id == trade.trade_id]
        assert math.fsum(nets) == pytest.approx(trade.pnl_net, abs=_tolerance(inputs))


@given(runs())
def test_realized_plus_unrealized_pnl_is_the_marked_to_market_equity_change(
    inputs: RunInputs,
) -> None:
    context = build_context("run", inputs.multipliers, {}, inputs.bars)
    result = extend(Reconstruction("run"), inputs.fills, context)
    curve = build_equity_curve(result.changes, context.bars, 1000.0)

    realized = math.fsum(t.pnl_net for t in result.trades)
    open_pnl = math.fsum(p.pnl_net for p in result.open_positions)
    # Independently, from cash: what was paid and received, plus what is held at its mark.
    cash = -math.fsum(
        (1 if f.side is Side.BUY else -1)
        * f.quantity
        * f.price
        * inputs.multipliers[f.symbol or ""]
        + f.fee
        for f in result.fills
    )
    held = math.fsum(
        (1 if p.side.value == "LONG" else -1)
        * p.quantity
        * (p.mark_price if p.mark_price is not None else p.average_cost)
        * p.multiplier
        for p in result.open_positions
    )
    change = curve.final - 1000.0
    assert realized + open_pnl == pytest.approx(change, abs=_tolerance(inputs))
    assert cash + held == pytest.approx(change, abs=_tolerance(inputs))


@given(runs(), st.lists(st.integers(0, 40), max_size=4))
def test_trades_do_not_depend_on_how_the_fills_were_batched(
    inputs: RunInputs, cuts: list[int]
) -> None:
    ordered = sorted(inputs.fills, key=lambda f: f.sort_key)
    context = build_context("run", inputs.multipliers, {}, inputs.bars)
    bounds = [0, *sorted(cuts), len(ordered)]
    batched = Reconstruction("run")
    for start, end in pairwise(bounds):
        batched = extend(batched, ordered[start:end], context)

    whole = reconstruct(inputs)

    assert batched == whole
    stepped: list[Trade] = []
    for key in sorted({PositionKey.of(f) for f in ordered}):
        state = PositionState(key)
        for fill in (f for f in ordered if PositionKey.of(f) == key):
            outcome = step(state, fill, context)
            state = outcome.state
            stepped.extend(outcome.trades)
    assert sorted(t.trade_id for t in stepped) == sorted(t.trade_id for t in whole.trades)
    assert set(stepped) == set(whole.trades)


@given(runs(), st.data())
def test_any_permutation_of_the_fills_gives_the_same_reconstruction(
    inputs: RunInputs, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(inputs.fills))

    permuted = RunInputs("run", shuffled, inputs.multipliers, {}, inputs.bars)

    assert reconstruct(permuted) == reconstruct(inputs)


@given(runs())
def test_no_position_is_left_open_at_rounding_noise(inputs: RunInputs) -> None:
    result = reconstruct(inputs)

    assert all(p.quantity > 1e-9 for p in result.open_positions)
    assert all(t.quantity > 1e-9 and t.exit_utc >= t.entry_utc for t in result.trades)
