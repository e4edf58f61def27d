"""The running state of one (account, symbol) position, as reconstruction steps carry it.

A state is immutable. It holds the current cycle's running figures (sizes, notionals, fees,
realized PnL at average cost) and the cycle's fill parts, which the FIFO view and the
excursions need when the cycle closes. The parts are a persistent list, newest first: a
step links one new cell to the old list instead of copying it, so a cycle of n fills costs
O(n), not O(n^2), and an earlier state stays valid for anyone still holding it.
"""

from dataclasses import dataclass
from datetime import datetime

from projector.trades.inputs import Fill, FillSortKey, PositionKey


@dataclass(frozen=True, slots=True)
class FillPart:
    """A fill, or the closing or opening part of a flipping fill, as its cycle saw it."""

    execution_id: str
    order_id: str
    exec_utc: datetime
    log_position: int
    quantity: float
    price: float
    fee: float
    opening: bool


@dataclass(frozen=True, slots=True)
class Parts:
    """A cycle's parts, newest first (`head`), linked to the older ones (`tail`)."""

    head: FillPart
    tail: "Parts | None"

    def oldest_first(self) -> list[FillPart]:
        newest_first: list[FillPart] = []
        cell: Parts | None = self
        while cell is not None:
            newest_first.append(cell.head)
            cell = cell.tail
        newest_first.reverse()
        return newest_first


@dataclass(frozen=True, slots=True)
class PositionState:
    """A key's signed position and its current cycle's figures (`cycle` is the cycle's number;
    when flat, the number of cycles closed so far). `last_fill` is the order key of the last
    fill applied: a fill sorting after it can be applied incrementally, one before it means
    the key must be recomputed from its first fill."""

    key: PositionKey
    cycle: int = 0
    long: bool = True
    position: float = 0.0
    average_cost: float = 0.0
    peak: float = 0.0
    entered: float = 0.0
    entry_notional: float = 0.0
    exited: float = 0.0
    exit_notional: float = 0.0
    realized: float = 0.0
    fees: float = 0.0
    entry_utc: datetime | None = None
    entry_order_id: str = ""
    fill_count: int = 0
    parts: Parts | None = None
    last_fill: FillSortKey | None = None

    @property
    def sign(self) -> float:
        """+1 for a long cycle, -1 for a short one (kept when the cycle has just closed)."""
        return 1.0 if self.long else -1.0

    def accepts(self, fill: Fill) -> bool:
        """Whether `fill` sorts after every fill applied so far."""
        return self.last_fill is None or fill.sort_key > self.last_fill
