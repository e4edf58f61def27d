"""Turning a position state into what is reported: a closed trade (with its FIFO view,
excursions, regime and exit reason) when the cycle ends flat, an open position otherwise.

Excursions (MFE/MAE) are measured from the average entry price, for the peak quantity, in
currency. The prices the trade saw are the highs and lows of the bars lying wholly inside
[entry, exit] and the prices of the cycle's own fills; a bar cut by the entry or exit is left
out, since its high or low may have printed while the position was not on. Without any bars
for the symbol both are None (the fills alone would make every loser's MFE look like 0).
"""

from projector.trades.bars import BarIndex
from projector.trades.context import TradeContext
from projector.trades.fifo import fifo_matches
from projector.trades.inputs import breakeven_tolerance, flat_tolerance
from projector.trades.model import (
    Direction,
    LotMatch,
    OpenPosition,
    Outcome,
    Trade,
    trade_id_of,
)
from projector.trades.regime import regime_at
from projector.trades.state import FillPart, PositionState


def _excursions(
    index: BarIndex | None,
    parts: list[FillPart],
    sign: float,
    entry_price: float,
    size: float,
) -> tuple[float | None, float | None]:
    """(favourable, adverse) price moves from `entry_price` times `size` (quantity x mult)."""
    if index is None:
        return None, None
    inside = index.inside(parts[0].exec_utc, parts[-1].exec_utc)
    prices = [part.price for part in parts]
    high = max(max(prices), max(index.highs[inside.start : inside.stop], default=prices[0]))
    low = min(min(prices), min(index.lows[inside.start : inside.stop], default=prices[0]))
    up, down = max(0.0, high - entry_price) * size, max(0.0, entry_price - low) * size
    return (up, down) if sign > 0 else (down, up)


def _outcome(pnl_net: float, notional: float) -> Outcome:
    if abs(pnl_net) <= breakeven_tolerance(notional):
        return Outcome.BREAKEVEN
    return Outcome.WIN if pnl_net > 0 else Outcome.LOSS


def close_cycle(state: PositionState, context: TradeContext) -> tuple[Trade, tuple[LotMatch, ...]]:
    """The trade of a cycle `state` has just closed (its position is 0, its last part the exit)."""
    assert state.parts is not None, "a closed cycle has fills"
    assert state.entry_utc is not None, "a closed cycle has an entry"
    parts = state.parts.oldest_first()
    last = parts[-1]
    key, multiplier = state.key, context.multiplier(state.key.symbol)
    sign = state.sign
    entry_price = state.entry_notional / state.entered
    notional = abs(entry_price) * state.peak * multiplier
    pnl_net = state.realized - state.fees
    index = context.bars.get(key.symbol)
    mfe, mae = _excursions(index, parts, sign, entry_price, state.peak * multiplier)
    trend, volatility = regime_at(index, state.entry_utc)
    trade_id = trade_id_of(context.run_id, key.account_id, key.symbol, state.cycle)
    trade = Trade(
        trade_id=trade_id,
        run_id=context.run_id,
        account_id=key.account_id,
        symbol=key.symbol,
        cycle=state.cycle,
        side=Direction.LONG if sign > 0 else Direction.SHORT,
        quantity=state.peak,
        entered_quantity=state.entered,
        entry_price=entry_price,
        exit_price=state.exit_notional / state.exited,
        entry_utc=state.entry_utc,
        exit_utc=last.exec_utc,
        duration_seconds=(last.exec_utc - state.entry_utc).total_seconds(),
        pnl_gross=state.realized,
        commission=state.fees,
        pnl_net=pnl_net,
        trade_return=pnl_net / notional if notional > 0 else None,
        outcome=_outcome(pnl_net, notional),
        multiplier=multiplier,
        entry_order_id=state.entry_order_id,
        exit_order_id=last.order_id,
        exit_execution_id=last.execution_id,
        exit_position=last.log_position,
        exit_reason=context.exit_reason(last.order_id),
        fill_count=state.fill_count,
        mfe=mfe,
        mae=mae,
        regime_trend=trend,
        regime_volatility=volatility,
    )
    tolerance = flat_tolerance(state.peak)
    return trade, fifo_matches(trade_id, parts, sign, multiplier, tolerance)


def open_position(state: PositionState, context: TradeContext) -> OpenPosition:
    """A cycle still open, marked at the last close of its symbol's bars."""
    assert state.entry_utc is not None, "an open cycle has fills"
    key, multiplier = state.key, context.multiplier(state.key.symbol)
    sign, size = state.sign, abs(state.position)
    index = context.bars.get(key.symbol)
    mark = index.last_close() if index is not None else None
    unrealized = None
    if mark is not None:
        unrealized = (mark[0] - state.average_cost) * size * sign * multiplier
    return OpenPosition(
        trade_id=trade_id_of(context.run_id, key.account_id, key.symbol, state.cycle),
        run_id=context.run_id,
        account_id=key.account_id,
        symbol=key.symbol,
        cycle=state.cycle,
        side=Direction.LONG if sign > 0 else Direction.SHORT,
        quantity=size,
        peak_quantity=state.peak,
        average_cost=state.average_cost,
        entry_price=state.entry_notional / state.entered,
        entry_utc=state.entry_utc,
        realized_pnl=state.realized,
        commission=state.fees,
        multiplier=multiplier,
        mark_price=mark[0] if mark is not None else None,
        mark_utc=mark[1] if mark is not None else None,
        unrealized_pnl=unrealized,
    )
