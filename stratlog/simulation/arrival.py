"""Out-of-order delivery: how an exporter's independent buffers reorder one run's events.

The Quantower exporter flushes orders, executions and bars from separate buffers, so the
server sees, now and then (DESIGN §4):
- a fill before its order (the `order.submitted` held back until after the order's first
  `execution.recorded`),
- a stale status after the final one (an `order.updated` WORKING held back until after the
  order's FILLED or CANCELED),
- a bracket link before its group (the `oco.group_created` held back until after its first
  `oco.order_linked`).
Each candidate is held with probability `chance`, and never for more than `max_hold` later
events (an order that never fills is released anyway), so the buffer stays small however
long the session and memory stays flat. The projector is built to take all three: fills are
kept as orphans until their order arrives, a late older update never regresses a terminal
status, a link makes a placeholder group.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]

_TERMINAL = frozenset({"FILLED", "CANCELED", "REJECTED", "EXPIRED"})


@dataclass(slots=True)
class _Held:
    event: Event
    released_by: tuple[str, str]  # (event type, key) of the event it waits for
    deadline: int  # the delivered-event count at which it goes anyway


class Arrival:
    """Reorders one run's events as they stream through `deliver`."""

    def __init__(self, rng: random.Random, chance: float, max_hold: int = 40) -> None:
        self._rng = rng
        self._chance = chance
        self._max_hold = max_hold
        self._held: list[_Held] = []
        self._delivered = 0

    def deliver(self, events: Iterable[Event]) -> list[Event]:
        """`events` (in source order) as they arrive, minus any held back for later."""
        out: list[Event] = []
        for event in events:
            trigger = self._trigger(event)
            if trigger is not None and self._chance and self._rng.random() < self._chance:
                self._held.append(_Held(event, trigger, self._delivered + self._max_hold))
                continue
            out.append(event)
            self._delivered += 1
            if self._held:
                self._release(event, out)
        return out

    def flush(self) -> list[Event]:
        """Whatever is still held (the run is ending: every buffer flushes)."""
        out = [held.event for held in self._held]
        self._held = []
        return out

    def held(self) -> int:
        return len(self._held)

    def _release(self, delivered: Event, out: list[Event]) -> None:
        key = _key(delivered)
        still = []
        for held in self._held:
            if held.released_by == key or held.deadline <= self._delivered:
                out.append(held.event)
                self._delivered += 1
            else:
                still.append(held)
        self._held = still

    @staticmethod
    def _trigger(event: Event) -> tuple[str, str] | None:
        """What a held `event` waits for, if it is one that arrives late in real sessions."""
        kind = event["type"]
        if kind == "order.submitted":
            return ("execution.recorded", event["order_id"])
        if (
            kind == "order.updated"
            and event.get("status") == "WORKING"
            and "stop_price" not in event
        ):
            return ("order.final", event["order_id"])
        if kind == "oco.group_created":
            return ("oco.order_linked", event["oco_group_id"])
        return None


def _key(event: Event) -> tuple[str, str]:
    kind = event["type"]
    if kind == "execution.recorded":
        return (kind, event["order_id"])
    if kind == "order.updated" and event.get("status") in _TERMINAL:
        return ("order.final", event["order_id"])
    if kind == "oco.order_linked":
        return (kind, event["oco_group_id"])
    return (kind, "")
