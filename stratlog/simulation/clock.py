"""Simulated time: integer milliseconds since the epoch, written exactly as the codec writes it.

The generator emits events already in canonical form (`schema.codec.encode_event` would not
change a byte), so a consumer can store them without a validation pass. Times are therefore
written the codec's way: UTC, a `Z`, and six fractional digits only when there are any.
`strftime` costs more than the rest of an event, so only the date goes through it, and the
`YYYY-MM-DDTHH:MM:` prefix is kept for the minutes in use.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
_HOUR_MS = 60 * MINUTE_MS
_DAY_MS = 24 * _HOUR_MS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_of(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@lru_cache(maxsize=64)
def _date_prefix(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")


@lru_cache(maxsize=4096)
def _minute_prefix(minutes: int) -> str:
    day, rest = divmod(minutes * MINUTE_MS, _DAY_MS)
    hour, rest = divmod(rest, _HOUR_MS)
    return f"{_date_prefix(day)}{hour:02d}:{rest // MINUTE_MS:02d}:"


def utc_text(ms: int) -> str:
    """`ms` as canonical event JSON writes a time: `2025-03-03T14:30:05.250000Z`."""
    minutes, rest = divmod(ms, MINUTE_MS)
    second, millis = divmod(rest, SECOND_MS)
    if millis:
        return f"{_minute_prefix(minutes)}{second:02d}.{millis:03d}000Z"
    return f"{_minute_prefix(minutes)}{second:02d}Z"
