"""Every canonical event type, and the registry the codec decodes through.

`EVENT_TYPES` maps a dotted wire name to the class of its current version; `AnyEvent` is the
union of those classes, discriminated by `type`. Older versions (none yet) are not in the
union: they are upcast to the current version before validation (see `schema.upcasters`).
"""

from typing import Annotated

from pydantic import Field

from schema.events.bars import BarClosed
from schema.events.base import Event
from schema.events.executions import ExecutionRecorded
from schema.events.instruments import InstrumentDefined
from schema.events.oco import OcoGroupCreated, OcoOrderLinked
from schema.events.orders import OrderSubmitted, OrderUpdated
from schema.events.runs import RunEnded, RunHeartbeat, RunStarted
from schema.events.strategies import InstanceRegistered, StrategyRegistered

AnyEvent = Annotated[
    StrategyRegistered
    | InstanceRegistered
    | InstrumentDefined
    | RunStarted
    | RunEnded
    | RunHeartbeat
    | OrderSubmitted
    | OrderUpdated
    | ExecutionRecorded
    | OcoGroupCreated
    | OcoOrderLinked
    | BarClosed,
    Field(discriminator="type"),
]

EVENT_CLASSES: tuple[type[Event], ...] = (
    StrategyRegistered,
    InstanceRegistered,
    InstrumentDefined,
    RunStarted,
    RunEnded,
    RunHeartbeat,
    OrderSubmitted,
    OrderUpdated,
    ExecutionRecorded,
    OcoGroupCreated,
    OcoOrderLinked,
    BarClosed,
)


def wire_type(cls: type[Event]) -> str:
    """The dotted wire name of an event class (its `type` literal)."""
    default = cls.model_fields["type"].default
    assert isinstance(default, str)
    return default


def current_version(cls: type[Event]) -> int:
    """The version an event class writes (its `version` literal)."""
    default = cls.model_fields["version"].default
    assert isinstance(default, int)
    return default


EVENT_TYPES: dict[str, type[Event]] = {wire_type(cls): cls for cls in EVENT_CLASSES}

__all__ = [
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "AnyEvent",
    "BarClosed",
    "Event",
    "ExecutionRecorded",
    "InstanceRegistered",
    "InstrumentDefined",
    "OcoGroupCreated",
    "OcoOrderLinked",
    "OrderSubmitted",
    "OrderUpdated",
    "RunEnded",
    "RunHeartbeat",
    "RunStarted",
    "StrategyRegistered",
    "current_version",
    "wire_type",
]
