"""Executions (fills). Exporters send no side or symbol: they come from the order."""

from typing import Literal

from pydantic import Field

from schema.enums import PositionImpactIn, SideIn
from schema.events.base import (
    Event,
    Finite,
    Identifier,
    JsonObject,
    UtcDatetime,
)


class ExecutionRecorded(Event):
    """One fill of an order. May arrive before its order; quantities are taken as sent."""

    type: Literal["execution.recorded"] = "execution.recorded"
    version: Literal[1] = 1
    time_field = "exec_utc"

    run_id: Identifier
    execution_id: Identifier
    order_id: Identifier
    exec_utc: UtcDatetime
    price: Finite
    quantity: Finite = Field(description="Filled quantity, positive; others are flagged later.")
    fee: Finite | None = None
    fee_currency: Identifier | None = None
    liquidity: Identifier | None = Field(None, description='"MAKER", "TAKER", "UNKNOWN"…')
    position_impact: PositionImpactIn | None = None
    side: SideIn | None = Field(None, description="Only when the client knows it.")
    symbol: Identifier | None = None
    account_id: Identifier | None = None
    extra_json: JsonObject | None = None
