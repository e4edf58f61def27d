"""OCO and bracket groups: which orders belong together and the role each plays."""

from typing import Literal

from schema.enums import OcoKind, OcoKindIn, OcoRoleIn, PositionImpactIn
from schema.events.base import Event, Identifier, JsonObject, OptionalUtcDatetime


class OcoGroupCreated(Event):
    """A group of orders linked by one-cancels-other or as an entry with its exits."""

    type: Literal["oco.group_created"] = "oco.group_created"
    version: Literal[1] = 1
    time_field = "created_utc"

    run_id: Identifier
    oco_group_id: Identifier
    kind: OcoKindIn = OcoKind.OCO
    created_utc: OptionalUtcDatetime = None
    extra_json: JsonObject | None = None


class OcoOrderLinked(Event):
    """An order joined a group with a role (ENTRY, TP, SL, EXIT)."""

    type: Literal["oco.order_linked"] = "oco.order_linked"
    version: Literal[1] = 1
    time_field = "linked_utc"

    run_id: Identifier
    oco_group_id: Identifier
    order_id: Identifier
    role: OcoRoleIn
    position_impact: PositionImpactIn | None = None
    linked_utc: OptionalUtcDatetime = None
