"""Building blocks every event model is made of: the frozen base class and field types.

Times are aware UTC datetimes: a time with an offset is converted, a time without one is
taken as UTC (the C# exporters send both), and .NET's `DateTime.MinValue`, which a C# client
sends for "not set", reads as absent on optional fields. Fields named `*_json` hold JSON that
clients send either as a JSON value or as a string containing JSON; both decode to the value.
"""

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


def to_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken as UTC."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"timestamp {value.isoformat()} is outside 1970..2200")
    return value


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


UtcDatetime = Annotated[datetime, AfterValidator(to_utc)]
OptionalUtcDatetime = Annotated[UtcDatetime | None, BeforeValidator(_dotnet_unset_as_none)]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
JsonDocument = Annotated[JsonValue, BeforeValidator(_decode_json_text)]
JsonObject = Annotated[dict[str, JsonValue], BeforeValidator(_decode_json_text)]
SymbolList = Annotated[list[Identifier], BeforeValidator(_decode_json_text)]


class Event(BaseModel):
    """Base of every event type: immutable, unknown fields refused.

    Subclasses declare `type` and `version` as literals and name the field that carries the
    event's source time in `time_field` (None when the event has no time of its own).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

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
