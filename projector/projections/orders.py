"""Orders: current state merged field by field, plus the full history of what was sent.

Merge rules (DESIGN §5): a field an event leaves out (or sends as null, or as UNKNOWN for an
enum) never wipes a known value; status only moves forward (UNKNOWN < NEW < WORKING <
PARTIALLY_FILLED < a final status), and the first final status seen is kept. Fill figures are
derived from executions (see executions.py): the exporters send only the first status they
saw, so an order whose fills cover its quantity is FILLED even if no update said so.
"""

from typing import Any

from projector.projections.common import earlier, json_text, later, merged, run_read, touch_run
from projector.state import ProjectionState
from projector.writes import Append, Put, Read, Row, Write
from schema.enums import OrderStatus, PositionImpact
from schema.events import OrderSubmitted, OrderUpdated

QUANTITY_TOLERANCE = 1e-9
_STATUS_RANK = {
    OrderStatus.UNKNOWN: 0,
    OrderStatus.NEW: 1,
    OrderStatus.WORKING: 2,
    OrderStatus.PARTIALLY_FILLED: 3,
    OrderStatus.FILLED: 4,
    OrderStatus.CANCELED: 4,
    OrderStatus.REJECTED: 4,
    OrderStatus.EXPIRED: 4,
}
FINAL_RANK = 4
_HISTORY_EXCLUDED = {"type", "version", "run_id", "order_id"}


def new_order_row(run_id: str, order_id: str, position: int) -> Row:
    """An order known only from its fills so far (placeholder) until its own event."""
    row: Row = {
        "run_id": run_id,
        "order_id": order_id,
        "status": OrderStatus.UNKNOWN,
        "filled_quantity": 0.0,
        "fill_notional": 0.0,
        "avg_fill_price": None,
        "fees": 0.0,
        "fill_count": 0,
        "first_fill_utc": None,
        "last_fill_utc": None,
        "placeholder": True,
        "first_position": position,
        "last_position": position,
    }
    for column in (
        "strategy_id", "parent_order_id", "symbol", "account_id", "side", "order_type",
        "time_in_force", "quantity", "price", "stop_price", "submit_utc", "last_update_utc",
        "client_tag", "position_impact", "reject_reason", "cancel_reason", "extra_json",
    ):  # fmt: skip
        row[column] = None
    return row


def advanced_status(current: OrderStatus | str, candidate: OrderStatus | str | None) -> str:
    """The status after seeing `candidate`: forward only, first final status kept."""
    current = OrderStatus(current)
    if candidate is None or candidate == OrderStatus.UNKNOWN:
        return current
    candidate = OrderStatus(candidate)
    if _STATUS_RANK[current] >= FINAL_RANK or _STATUS_RANK[candidate] <= _STATUS_RANK[current]:
        return current
    return candidate


def with_fill_status(order: Row) -> Row:
    """Raise the status to what the fills prove (PARTIALLY_FILLED or FILLED)."""
    filled, quantity = order["filled_quantity"], order["quantity"]
    if filled <= QUANTITY_TOLERANCE:
        return order
    proven = OrderStatus.PARTIALLY_FILLED
    if quantity is not None and filled >= quantity - QUANTITY_TOLERANCE:
        proven = OrderStatus.FILLED
    order["status"] = advanced_status(order["status"], proven)
    return order


def order_read(run_id: str, order_id: str) -> Read:
    return Read("orders", (run_id, order_id))


def reads_order_event(event: OrderSubmitted | OrderUpdated) -> list[Read]:
    return [run_read(event.run_id), order_read(event.run_id, event.order_id)]


def project_order_event(
    event: OrderSubmitted | OrderUpdated, position: int, state: ProjectionState
) -> list[Write]:
    current = state.get("orders", (event.run_id, event.order_id))
    order = dict(current) if current else new_order_row(event.run_id, event.order_id, position)
    impact = event.position_impact
    changes: dict[str, Any] = {
        "strategy_id": event.strategy_id,
        "parent_order_id": event.parent_order_id,
        "symbol": event.symbol,
        "account_id": event.account_id,
        "side": event.side,
        "order_type": event.order_type,
        "time_in_force": event.time_in_force,
        "quantity": event.quantity,
        "price": event.price,
        "stop_price": event.stop_price,
        "client_tag": event.client_tag,
        "position_impact": None if impact == PositionImpact.UNKNOWN else impact,
        "reject_reason": event.reject_reason,
        "cancel_reason": event.cancel_reason,
        "extra_json": json_text(event.extra_json),
    }
    order = merged(order, changes)
    order["status"] = advanced_status(order["status"], event.status)
    order["submit_utc"] = earlier(order["submit_utc"], event.submit_utc)
    order["last_update_utc"] = later(order["last_update_utc"], event.occurred_utc)
    order.update(placeholder=False, last_position=position)
    history = {
        "run_id": event.run_id,
        "position": position,
        "order_id": event.order_id,
        "event_type": event.type,
        "event_utc": event.occurred_utc,
        "status": event.status,
        "changes_json": json_text(
            event.model_dump(mode="json", exclude_none=True, exclude=_HISTORY_EXCLUDED)
        ),
    }
    run = state.get("strategy_runs", (event.run_id,))
    return [
        Put("orders", with_fill_status(order)),
        Append("order_history", history),
        touch_run(run, event.run_id, event, position),
    ]
