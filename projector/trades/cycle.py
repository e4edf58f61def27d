"""The core of reconstruction: (position state, fill) -> (position state, closed trades).

One state per (account, symbol) of a run. A fill in the position's direction (or from flat)
adds at average cost; one against it realizes (price - average cost) x quantity x multiplier
on the part it closes. A fill larger than the position by more than the flat tolerance flips
it: a closing part of the position's size and an opening part of the rest, at the fill's
price, its fee split by quantity. A fill within the tolerance of the position closes it
exactly, so no float residue is left as a phantom position. A fill that cannot be applied
(held, zero, negative, dust) leaves the state as it was and comes back as a flag.
"""

from dataclasses import dataclass

from projector.trades.closing import close_cycle
from projector.trades.context import TradeContext
from projector.trades.inputs import DUST_QUANTITY, NO_ACCOUNT, Fill, FillSortKey, flat_tolerance
from projector.trades.model import FlagKind, LotMatch, PositionChange, QualityFlag, Trade
from projector.trades.state import FillPart, Parts, PositionState
from schema.enums import Side


@dataclass(frozen=True, slots=True)
class StepResult:
    """The state after one fill, the trade it closed (at most one), and the ledger entry."""

    state: PositionState
    trades: tuple[Trade, ...] = ()
    matches: tuple[LotMatch, ...] = ()
    change: PositionChange | None = None
    flag: QualityFlag | None = None


def quality_flag(fill: Fill) -> QualityFlag | None:
    """Why `fill` cannot be applied, or None."""
    if fill.is_held:
        kind = FlagKind.HELD
    elif fill.quantity == 0:
        kind = FlagKind.ZERO_QUANTITY
    elif fill.quantity < 0:
        kind = FlagKind.NEGATIVE_QUANTITY
    elif fill.quantity < DUST_QUANTITY:
        kind = FlagKind.DUST
    else:
        return None
    return QualityFlag(kind, fill.execution_id, fill.order_id, fill.exec_utc, fill.quantity)


def _part(fill: Fill, quantity: float, fee: float, opening: bool) -> FillPart:
    return FillPart(
        execution_id=fill.execution_id,
        order_id=fill.order_id,
        exec_utc=fill.exec_utc,
        log_position=fill.position,
        quantity=quantity,
        price=fill.price,
        fee=fee,
        opening=opening,
    )


def _opened(
    flat: PositionState, fill: Fill, quantity: float, fee: float, order: FillSortKey
) -> PositionState:
    long = fill.side is Side.BUY
    return PositionState(
        key=flat.key,
        cycle=flat.cycle + 1,
        long=long,
        position=quantity if long else -quantity,
        average_cost=fill.price,
        peak=quantity,
        entered=quantity,
        entry_notional=quantity * fill.price,
        fees=fee,
        entry_utc=fill.exec_utc,
        entry_order_id=fill.order_id,
        fill_count=1,
        parts=Parts(_part(fill, quantity, fee, True), None),
        last_fill=order,
    )


def _added(state: PositionState, fill: Fill, order: FillSortKey) -> PositionState:
    held, quantity = abs(state.position), fill.quantity
    size = held + quantity
    return PositionState(
        key=state.key,
        cycle=state.cycle,
        long=state.long,
        position=state.position + state.sign * quantity,
        average_cost=(held * state.average_cost + quantity * fill.price) / size,
        peak=max(state.peak, size),
        entered=state.entered + quantity,
        entry_notional=state.entry_notional + quantity * fill.price,
        exited=state.exited,
        exit_notional=state.exit_notional,
        realized=state.realized,
        fees=state.fees + fill.fee,
        entry_utc=state.entry_utc,
        entry_order_id=state.entry_order_id,
        fill_count=state.fill_count + 1,
        parts=Parts(_part(fill, quantity, fill.fee, True), state.parts),
        last_fill=order,
    )


def _reduced(
    state: PositionState,
    fill: Fill,
    quantity: float,
    fee: float,
    multiplier: float,
    order: FillSortKey,
) -> tuple[PositionState, float]:
    """The state after closing `quantity` (to exactly 0 when that is all), and its gross PnL."""
    gross = (fill.price - state.average_cost) * quantity * state.sign * multiplier
    closes_all = abs(abs(state.position) - quantity) <= flat_tolerance(state.peak)
    reduced = PositionState(
        key=state.key,
        cycle=state.cycle,
        long=state.long,
        position=0.0 if closes_all else state.position - state.sign * quantity,
        average_cost=state.average_cost,
        peak=state.peak,
        entered=state.entered,
        entry_notional=state.entry_notional,
        exited=state.exited + quantity,
        exit_notional=state.exit_notional + quantity * fill.price,
        realized=state.realized + gross,
        fees=state.fees + fee,
        entry_utc=state.entry_utc,
        entry_order_id=state.entry_order_id,
        fill_count=state.fill_count + 1,
        parts=Parts(_part(fill, quantity, fee, False), state.parts),
        last_fill=order,
    )
    return reduced, gross


def step(state: PositionState, fill: Fill, context: TradeContext) -> StepResult:
    """Apply one fill of `state.key`; a key's fills must come in `Fill.sort_key` order."""
    flag = quality_flag(fill)
    if flag is not None:
        return StepResult(state, flag=flag)
    if fill.symbol != state.key.symbol or (fill.account_id or NO_ACCOUNT) != state.key.account_id:
        raise ValueError(f"fill {fill.execution_id} is not of {state.key}")
    order = fill.sort_key
    multiplier = context.multiplier(state.key.symbol)
    trades: tuple[Trade, ...] = ()
    matches: tuple[LotMatch, ...] = ()
    gross = 0.0
    if state.position == 0.0:
        after = _opened(state, fill, fill.quantity, fill.fee, order)
    elif state.long == (fill.side is Side.BUY):
        after = _added(state, fill, order)
    else:
        held = abs(state.position)
        flips = fill.quantity > held + flat_tolerance(state.peak)
        closing = held if flips else fill.quantity
        closing_fee = fill.fee * closing / fill.quantity if flips else fill.fee
        after, gross = _reduced(state, fill, closing, closing_fee, multiplier, order)
        if after.position == 0.0:
            trade, trade_matches = close_cycle(after, context)
            trades, matches = (trade,), trade_matches
            after = PositionState(after.key, after.cycle, last_fill=order)
            if flips:
                after = _opened(after, fill, fill.quantity - closing, fill.fee - closing_fee, order)
    change = PositionChange(
        exec_utc=fill.exec_utc,
        log_position=fill.position,
        execution_id=fill.execution_id,
        account_id=state.key.account_id,
        symbol=state.key.symbol,
        net_quantity=after.position,
        average_cost=after.average_cost if after.position else 0.0,
        cash_pnl=gross - fill.fee,
        multiplier=multiplier,
    )
    return StepResult(after, trades, matches, change)
