"""Orders merged field by field: nothing known is wiped, status only moves forward, fills prove."""

from typing import Any

import pytest

from tests.unit.projection_fold import fold

RUN, ORDER = "run-1", "1001"
TERMINAL = ["FILLED", "CANCELED", "REJECTED", "EXPIRED"]
SNAPSHOT = {
    "symbol": "ESM5",
    "account_id": "SIM-101",
    "side": "BUY",
    "order_type": "LIMIT",
    "time_in_force": "DAY",
    "quantity": 2.0,
    "price": 5700.25,
    "stop_price": 5690.0,
    "client_tag": "entry",
    "position_impact": "OPEN",
    "extra_json": {"note": "first"},
}


def submitted(**fields: Any) -> dict[str, Any]:
    return {"type": "order.submitted", "run_id": RUN, "order_id": ORDER, **fields}


def updated(**fields: Any) -> dict[str, Any]:
    return {"type": "order.updated", "run_id": RUN, "order_id": ORDER, **fields}


def fill(execution_id: str, quantity: float) -> dict[str, Any]:
    return {
        "type": "execution.recorded",
        "run_id": RUN,
        "execution_id": execution_id,
        "order_id": ORDER,
        "exec_utc": "2025-03-03T14:30:05Z",
        "price": 5700.25,
        "quantity": quantity,
    }


def order_after(*events: dict[str, Any]) -> dict[str, Any]:
    return fold(events).row("orders", RUN, ORDER)


@pytest.mark.parametrize("field", sorted(SNAPSHOT))
def test_an_update_that_leaves_a_field_out_never_wipes_it(field: str) -> None:
    complete = order_after(submitted(**SNAPSHOT))
    after = order_after(submitted(**SNAPSHOT), updated(status="WORKING"))
    assert after[field] == complete[field] is not None


def test_an_update_replaces_the_fields_it_carries() -> None:
    order = order_after(submitted(**SNAPSHOT), updated(price=5701.0, quantity=3.0))
    assert (order["price"], order["quantity"], order["symbol"]) == (5701.0, 3.0, "ESM5")


@pytest.mark.parametrize("late", ["NEW", "WORKING", "PARTIALLY_FILLED"])
@pytest.mark.parametrize("final", TERMINAL)
def test_a_late_earlier_status_never_regresses_a_final_one(final: str, late: str) -> None:
    assert order_after(submitted(), updated(status=final), updated(status=late))["status"] == final


@pytest.mark.parametrize(("first", "second"), [("CANCELED", "FILLED"), ("FILLED", "CANCELED")])
def test_the_first_final_status_wins(first: str, second: str) -> None:
    assert order_after(updated(status=first), updated(status=second))["status"] == first


def test_status_moves_forward_only() -> None:
    assert order_after(updated(status="WORKING"), updated(status="NEW"))["status"] == "WORKING"


@pytest.mark.parametrize("known", ["NEW", "WORKING", "CANCELED"])
def test_an_unknown_status_never_overwrites_a_known_one(known: str) -> None:
    assert order_after(submitted(status=known), updated(status="UNKNOWN"))["status"] == known


@pytest.mark.parametrize("known", ["OPEN", "CLOSE", "REDUCE", "REVERSE"])
def test_an_unknown_position_impact_never_overwrites_a_known_one(known: str) -> None:
    order = order_after(submitted(position_impact=known), updated(position_impact="UNKNOWN"))
    assert order["position_impact"] == known


def test_a_known_position_impact_replaces_an_unknown_one() -> None:
    order = order_after(submitted(position_impact="UNKNOWN"), updated(position_impact="CLOSE"))
    assert order["position_impact"] == "CLOSE"


@pytest.mark.parametrize(
    ("fills", "status"),
    [([1.0], "PARTIALLY_FILLED"), ([1.0, 1.0], "FILLED"), ([2.0], "FILLED")],
    ids=["part", "two-parts", "whole"],
)
def test_the_status_is_what_the_fills_prove_though_no_update_said_so(
    fills: list[float], status: str
) -> None:
    events = [fill(f"T-{i}", quantity) for i, quantity in enumerate(fills)]
    assert order_after(submitted(quantity=2.0, status="NEW"), *events)["status"] == status


def test_fills_never_override_a_final_status_seen_first() -> None:
    order = order_after(submitted(quantity=2.0), updated(status="CANCELED"), fill("T-1", 1.0))
    assert (order["status"], order["filled_quantity"]) == ("CANCELED", 1.0)


def test_submit_time_is_the_earliest_and_update_time_the_latest() -> None:
    order = order_after(
        submitted(submit_utc="2025-03-03T14:30:05Z"),
        updated(update_utc="2025-03-03T14:31:00Z", submit_utc="2025-03-03T14:30:01Z"),
        updated(update_utc="2025-03-03T14:30:30Z"),
    )
    assert order["submit_utc"].isoformat() == "2025-03-03T14:30:01+00:00"
    assert order["last_update_utc"].isoformat() == "2025-03-03T14:31:00+00:00"


def test_every_order_event_is_kept_in_history_with_only_the_fields_it_carried() -> None:
    tables = fold([submitted(side="SELL", quantity=1.0), updated(status="CANCELED")])
    history = tables.rows("order_history")
    assert [(h["position"], h["event_type"], h["status"]) for h in history] == [
        (1, "order.submitted", "NEW"),
        (2, "order.updated", "CANCELED"),
    ]
    assert [h["changes_json"] for h in history] == [
        '{"quantity":1.0,"side":"SELL","status":"NEW"}',
        '{"status":"CANCELED"}',
    ]
