"""Building blocks every event model is made of: the frozen base class and field types.

Times are aware UTC datetimes: a time with an offset is converted, a time without one is
taken as UTC (the C# exporters send both), and .NET's `DateTime.MinValue`, which a C# client
sends for "not set", reads as absent on optional fields. Fields named `*_json` hold JSON that
clients send either as a JSON value or as a string containing JSON; both decode to the value.
"""

import math
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
)

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_DOTNET_MIN_VALUE = "0001-01-01T00:00:00"
_JSON_INT_MIN, _JSON_INT_MAX = -(2**63), 2**64 - 1  # what orjson can write


def to_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken as UTC."""
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # the offset carries it past year 1 or 9999
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"timestamp {value.isoformat()} is outside 1970..2200")
    return utc


def _dotnet_unset_as_none(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_DOTNET_MIN_VALUE):
        return None
    return value


def _decode_json_text(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON text: {exc}") from exc
    return value


def _refuse_unencodable_numbers(value: Any) -> Any:
    """Refuse NaN, infinities and integers beyond 64 bits anywhere in a JSON value: the
    canonical encoding would turn the first into null and cannot write the last."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{item} is not a JSON number")
        elif isinstance(item, int) and not _JSON_INT_MIN <= item <= _JSON_INT_MAX:
            raise ValueError(f"integer {item} is outside the 64-bit range")
    return value


UtcDatetime = Annotated[datetime, AfterValidator(to_utc)]
OptionalUtcDatetime = Annotated[UtcDatetime | None, BeforeValidator(_dotnet_unset_as_none)]
# Keys: no control characters (PostgreSQL text cannot hold NUL; none belongs in an id).
Identifier = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
# A document is an object or an array: a bare string would be read back as JSON text.
JsonDocument = Annotated[
    dict[str, JsonValue] | list[JsonValue],
    BeforeValidator(_decode_json_text),
    AfterValidator(_refuse_unencodable_numbers),
]
JsonObject = Annotated[
    dict[str, JsonValue],
    BeforeValidator(_decode_json_text),
    AfterValidator(_refuse_unencodable_numbers),
]
SymbolList = Annotated[list[Identifier], BeforeValidator(_decode_json_text)]


class Event(BaseModel):
    """Base of every event type: immutable, unknown fields refused.

    Subclasses declare `type` and `version` as literals and name the field that carries the
    event's source time in `time_field` (None when the event has no time of its own).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str  # narrowed to a Literal by every subclass
    version: int
    time_field: ClassVar[str | None] = None

    @property
    def occurred_utc(self) -> datetime | None:
        """The event's own time (source clock, UTC), when it has one."""
        if self.time_field is None:
            return None
        value = getattr(self, self.time_field)
        assert value is None or isinstance(value, datetime)
        return value

    @property
    def stream_run_id(self) -> str | None:
        """The run the event belongs to; None for catalog events (strategies, instances)."""
        value = getattr(self, "run_id", None)
        assert value is None or isinstance(value, str)
        return value
