"""The FIFO view of a closed trade: its closing fills matched against its opening fills,
oldest lot first.

A derived view beside the average-cost trade: over a flat-to-flat cycle both realize the
same total (closing notional - opening notional), so the matches' nets add up to the trade's
net. Each fill's fee is shared among the matches it takes part in by quantity, and the last
of them takes whatever is left, so no fee is lost to rounding; a dust remainder the flat
tolerance closed away gives its fee to the trade's last match.
"""

from collections import deque
from dataclasses import dataclass, replace

from projector.trades.model import LotMatch
from projector.trades.state import FillPart


@dataclass(slots=True)
class _Lot:
    """An opening part being consumed (mutable scratch, local to one call)."""

    part: FillPart
    quantity: float
    fee: float


def _share(total: float, remaining: float, quantity: float, whole: float, last: bool) -> float:
    return remaining if last else total * quantity / whole


def fifo_matches(
    trade_id: str, parts: list[FillPart], sign: float, multiplier: float, tolerance: float
) -> tuple[LotMatch, ...]:
    """Match `parts` (a cycle's, oldest first) FIFO; `sign` is +1 for a long, -1 for a short."""
    lots: deque[_Lot] = deque()
    matches: list[LotMatch] = []
    leftover_fee = 0.0
    for part in parts:
        if part.opening:
            lots.append(_Lot(part, part.quantity, part.fee))
            continue
        quantity, fee = part.quantity, part.fee
        while quantity > tolerance and lots:
            lot = lots[0]
            matched = min(lot.quantity, quantity)
            lot_done = lot.quantity - matched <= tolerance
            exit_done = quantity - matched <= tolerance
            entry_fee = _share(lot.part.fee, lot.fee, matched, lot.part.quantity, lot_done)
            exit_fee = _share(part.fee, fee, matched, part.quantity, exit_done)
            gross = (part.price - lot.part.price) * matched * sign * multiplier
            matches.append(
                LotMatch(
                    trade_id=trade_id,
                    match_number=len(matches) + 1,
                    entry_execution_id=lot.part.execution_id,
                    exit_execution_id=part.execution_id,
                    quantity=matched,
                    entry_price=lot.part.price,
                    exit_price=part.price,
                    entry_utc=lot.part.exec_utc,
                    exit_utc=part.exec_utc,
                    pnl_gross=gross,
                    fees=entry_fee + exit_fee,
                    pnl_net=gross - entry_fee - exit_fee,
                )
            )
            lot.quantity -= matched
            lot.fee -= entry_fee
            quantity -= matched
            fee -= exit_fee
            if lot_done:
                lots.popleft()
            if exit_done:
                fee, quantity = 0.0, 0.0
        leftover_fee += fee
    leftover_fee += sum(lot.fee for lot in lots)
    if leftover_fee and matches:
        last = matches[-1]
        matches[-1] = replace(
            last, fees=last.fees + leftover_fee, pnl_net=last.pnl_net - leftover_fee
        )
    return tuple(matches)
