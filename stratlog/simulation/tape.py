"""One run's events as the exporter would send them, and the order they happen in.

The strategy tells the tape what happened and when (an order submitted, a fill, a cancel, a
bracket link, a closed bar); the tape writes each as a canonical event payload and keeps it
until the run driver takes every event up to a time, in time order (ties in the order they
were told). Ids are short counters per run (`O12`, `X31`, `G4`): unique in the run, the same
for the same seed.
"""

import heapq
from dataclasses import dataclass
from typing import Any

from stratlog.simulation.clock import utc_text
from stratlog.simulation.market import Bar, Instrument

Event = dict[str, Any]

BUY, SELL = 1, -1
_SIDES = {BUY: "BUY", SELL: "SELL"}


@dataclass(slots=True)
class Order:
    """An order the strategy works: quantities in contracts, prices in ticks."""

    order_id: str
    side: int  # BUY or SELL
    quantity: int
    kind: str  # MARKET, LIMIT or STOP
    level: int | None  # the limit or stop price
    impact: str  # OPEN, CLOSE or REVERSE
    submit_ms: int
    filled: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled


class Tape:
    """The pending events of one run, and the ids it has handed out."""

    def __init__(self, run_id: str, account_id: str) -> None:
        self.run_id = run_id
        self.account_id = account_id
        self._pending: list[tuple[int, int, Event]] = []
        self._told = 0
        self._ids = {"O": 0, "X": 0, "G": 0}

    def add(self, ms: int, event: Event) -> None:
        """Keep `event`, which happened at `ms`."""
        heapq.heappush(self._pending, (ms, self._told, event))
        self._told += 1

    def take_until(self, ms: int) -> list[Event]:
        """Every pending event that happened before `ms`, oldest first."""
        taken = []
        while self._pending and self._pending[0][0] < ms:
            taken.append(heapq.heappop(self._pending)[2])
        return taken

    def pending(self) -> int:
        return len(self._pending)

    def new_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}{self._ids[prefix]}"

    def order(self, instrument: Instrument, order: Order, tag: str) -> None:
        """`order` was submitted (status NEW), at its `submit_ms`."""
        event: Event = {
            "type": "order.submitted",
            "version": 1,
            "run_id": self.run_id,
            "order_id": order.order_id,
            "symbol": instrument.symbol,
            "account_id": self.account_id,
            "side": _SIDES[order.side],
            "order_type": order.kind,
            "quantity": float(order.quantity),
            "time_in_force": "DAY" if order.kind == "MARKET" else "GTC",
            "position_impact": order.impact,
            "client_tag": tag,
            "status": "NEW",
            "submit_utc": utc_text(order.submit_ms),
        }
        if order.level is not None:
            event["stop_price" if order.kind == "STOP" else "price"] = instrument.price(order.level)
        self.add(order.submit_ms, event)

    def update(self, order: Order, ms: int, status: str, **fields: Any) -> None:
        """A later state of `order` (a status, a moved stop, a cancel reason)."""
        event: Event = {
            "type": "order.updated",
            "version": 1,
            "run_id": self.run_id,
            "order_id": order.order_id,
            "status": status,
            "update_utc": utc_text(ms),
            **fields,
        }
        self.add(ms, event)

    def fill(
        self, instrument: Instrument, order: Order, ms: int, quantity: int, ticks: int
    ) -> None:
        """A fill of `order`: no side or symbol, as the exporters send it."""
        order.filled += quantity
        self.add(
            ms,
            {
                "type": "execution.recorded",
                "version": 1,
                "run_id": self.run_id,
                "execution_id": self.new_id("X"),
                "order_id": order.order_id,
                "exec_utc": utc_text(ms),
                "price": instrument.price(ticks),
                "quantity": float(quantity),
                "fee": round(instrument.fee * quantity, 2),
                "fee_currency": "USD",
                "liquidity": "MAKER" if order.kind == "LIMIT" else "TAKER",
                "position_impact": order.impact,
            },
        )

    def group(self, ms: int) -> str:
        """A new bracket group; its id."""
        group_id = self.new_id("G")
        self.add(
            ms,
            {
                "type": "oco.group_created",
                "version": 1,
                "run_id": self.run_id,
                "oco_group_id": group_id,
                "kind": "BRACKET",
                "created_utc": utc_text(ms),
            },
        )
        return group_id

    def link(self, group_id: str, order: Order, role: str, ms: int) -> None:
        """`order` joined `group_id` as ENTRY, TP, SL or EXIT."""
        self.add(
            ms,
            {
                "type": "oco.order_linked",
                "version": 1,
                "run_id": self.run_id,
                "oco_group_id": group_id,
                "order_id": order.order_id,
                "role": role,
                "linked_utc": utc_text(ms),
            },
        )

    def bar(self, instrument: Instrument, bar: Bar) -> None:
        """`bar` closed (told at its close; its `ts_utc` is its open)."""
        tick, decimals = instrument.tick, instrument.decimals
        self.add(
            bar.end_ms,
            {
                "type": "bar.closed",
                "version": 1,
                "run_id": self.run_id,
                "symbol": instrument.symbol,
                "timeframe": "1m",
                "ts_utc": utc_text(bar.start_ms),
                "open": round(bar.open * tick, decimals),
                "high": round(bar.high * tick, decimals),
                "low": round(bar.low * tick, decimals),
                "close": round(bar.close * tick, decimals),
                "volume": float(bar.volume),
            },
        )

    def event(self, ms: int, event_type: str, **fields: Any) -> None:
        """Any other event of the run (heartbeats, the end)."""
        self.add(ms, {"type": event_type, "version": 1, "run_id": self.run_id, **fields})
