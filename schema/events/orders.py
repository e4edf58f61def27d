"""Orders: a snapshot when first seen, then partial updates merged field by field.

Both types carry the same optional fields; a field left out (or null) means "not known
here", never "cleared", so the projector can merge snapshots arriving in any order.
"""

from typing import Literal

from pydantic import Field

from schema.enums import (
    OrderStatus,
    OrderStatusIn,
    OrderTypeIn,
    PositionImpactIn,
    SideIn,
)
from schema.events.base import (
    Event,
    Finite,
    Identifier,
    JsonObject,
    OptionalUtcDatetime,
    Text,
)


class _OrderFields(Event):
    run_id: Identifier
    order_id: Identifier
    strategy_id: Identifier | None = None
    parent_order_id: Identifier | None = None
    symbol: Identifier | None = None
    account_id: Identifier | None = None
    side: SideIn | None = None
    order_type: OrderTypeIn | None = None
    time_in_force: Identifier | None = None
    quantity: Finite | None = None
    price: Finite | None = Field(None, description="Limit price.")
    stop_price: Finite | None = Field(None, description="Stop trigger (or attached stop-loss).")
    client_tag: Text | None = None
    position_impact: PositionImpactIn | None = None
    reject_reason: Text | None = None
    cancel_reason: Text | None = None
    extra_json: JsonObject | None = None


class OrderSubmitted(_OrderFields):
    """An order as first seen by the exporter (usually status NEW)."""

    type: Literal["order.submitted"] = "order.submitted"
    version: Literal[1] = 1
    time_field = "submit_utc"

    status: OrderStatusIn = OrderStatus.NEW
    submit_utc: OptionalUtcDatetime = None


class OrderUpdated(_OrderFields):
    """A later state of an order: status change, modification, or a fuller snapshot."""

    type: Literal["order.updated"] = "order.updated"
    version: Literal[1] = 1
    time_field = "update_utc"

    status: OrderStatusIn | None = None
    update_utc: OptionalUtcDatetime = None
    submit_utc: OptionalUtcDatetime = None
