"""Out-of-order delivery (stratlog/simulation/arrival.py): what is held back, until when."""

import random
from typing import Any

from stratlog.simulation.arrival import Arrival


def _order(order_id: str) -> dict[str, Any]:
    return {"type": "order.submitted", "order_id": order_id}


def _fill(order_id: str) -> dict[str, Any]:
    return {"type": "execution.recorded", "order_id": order_id}


def _update(order_id: str, status: str, **more: Any) -> dict[str, Any]:
    return {"type": "order.updated", "order_id": order_id, "status": status, **more}


def _bar(n: int) -> dict[str, Any]:
    return {"type": "bar.closed", "n": n}


def test_an_order_held_back_arrives_right_after_its_first_fill() -> None:
    arrival = Arrival(random.Random(1), chance=1.0)
    delivered = arrival.deliver([_order("A"), _bar(1), _fill("A"), _fill("A"), _bar(2)])
    assert delivered == [_bar(1), _fill("A"), _order("A"), _fill("A"), _bar(2)]
    assert arrival.held() == 0


def test_a_working_status_held_back_arrives_after_the_final_one() -> None:
    arrival = Arrival(random.Random(1), chance=1.0)
    working, moved = _update("A", "WORKING"), _update("A", "WORKING", stop_price=1.0)
    filled = _update("A", "FILLED")
    assert arrival.deliver([working, moved, _bar(1), filled]) == [moved, _bar(1), filled, working]


def test_a_group_held_back_arrives_after_its_first_link() -> None:
    arrival = Arrival(random.Random(1), chance=1.0)
    group = {"type": "oco.group_created", "oco_group_id": "G1"}
    link = {"type": "oco.order_linked", "oco_group_id": "G1", "order_id": "A"}
    assert arrival.deliver([group, link]) == [link, group]


def test_nothing_is_held_longer_than_max_hold_events_nor_past_a_flush() -> None:
    arrival = Arrival(random.Random(1), chance=1.0, max_hold=3)
    delivered = arrival.deliver([_order("never filled"), *(_bar(n) for n in range(5))])
    assert delivered.index(_order("never filled")) == 3
    assert arrival.deliver([_order("B")]) == []
    assert arrival.flush() == [_order("B")]
    assert arrival.held() == 0


def test_with_no_chance_the_order_is_kept() -> None:
    events = [_order("A"), _fill("A"), _update("A", "WORKING"), _update("A", "FILLED")]
    assert Arrival(random.Random(1), chance=0.0).deliver(events) == events
