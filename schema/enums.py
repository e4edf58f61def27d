"""Enumerations shared by events, tables and APIs, spelled as the exporters send them.

Input is normalised before matching ("partially filled", "Partially-Filled" and
"PARTIALLY_FILLED" are one value) so a cosmetic difference in a client never quarantines
an otherwise valid event.
"""

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator


def normalize_enum_text(value: Any) -> Any:
    """Upper-case a string and turn spaces and hyphens into underscores; leave others alone."""
    if isinstance(value, str):
        return value.strip().upper().replace(" ", "_").replace("-", "_")
    return value


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"
    MIT = "MIT"


class OrderStatus(StrEnum):
    NEW = "NEW"
    WORKING = "WORKING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


TERMINAL_ORDER_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class PositionImpact(StrEnum):
    OPEN = "OPEN"
    CLOSE = "CLOSE"
    REDUCE = "REDUCE"
    REVERSE = "REVERSE"
    UNKNOWN = "UNKNOWN"


class RunType(StrEnum):
    BACKTEST = "BACKTEST"
    LIVE = "LIVE"
    PAPER = "PAPER"
    REPLAY = "REPLAY"


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class OcoKind(StrEnum):
    """How the orders of a group relate: one-cancels-other, or an entry with its exits."""

    OCO = "OCO"
    BRACKET = "BRACKET"


class OcoRole(StrEnum):
    """The part an order plays in its group; TP and SL give a trade its exit reason."""

    ENTRY = "ENTRY"
    TP = "TP"
    SL = "SL"
    EXIT = "EXIT"


# Field types for event models: the enum, accepting any spelling normalize_enum_text fixes.
SideIn = Annotated[Side, BeforeValidator(normalize_enum_text)]
OrderTypeIn = Annotated[OrderType, BeforeValidator(normalize_enum_text)]
OrderStatusIn = Annotated[OrderStatus, BeforeValidator(normalize_enum_text)]
PositionImpactIn = Annotated[PositionImpact, BeforeValidator(normalize_enum_text)]
RunTypeIn = Annotated[RunType, BeforeValidator(normalize_enum_text)]
RunStatusIn = Annotated[RunStatus, BeforeValidator(normalize_enum_text)]
OcoKindIn = Annotated[OcoKind, BeforeValidator(normalize_enum_text)]
OcoRoleIn = Annotated[OcoRole, BeforeValidator(normalize_enum_text)]
