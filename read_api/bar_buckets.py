"""Buckets for downsampled bars: a timeframe's width, the ladder, the bucket a span needs.

A bucket is a fixed number of seconds, counted from a Monday midnight (1900-01-01 UTC), so
buckets of a day or less start at whole multiples of their width since midnight and weekly
ones on Mondays; months and tick counts have no fixed width and cannot be buckets. Asked for
at most N candles, the server takes the smallest rung of `LADDER` (or the series' own
timeframe, or the bucket asked for, when longer than the rungs below it) that covers the
span in at most N buckets; a span too long even for the top rung gets the top rung.
"""

import re
from datetime import UTC, datetime, timedelta

from schema.timeframes import normalize_timeframe

ORIGIN = datetime(1900, 1, 1, tzinfo=UTC)  # a Monday
ORIGIN_SECONDS = int((ORIGIN - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
LADDER = (
    "1s", "5s", "10s", "15s", "30s",
    "1m", "2m", "5m", "10m", "15m", "30m",
    "1h", "2h", "4h", "6h", "12h",
    "1d", "1w", "2w", "4w", "13w", "26w", "52w",
)  # fmt: skip
MAX_WIDTH = _UNIT_SECONDS["w"] * 52
_FIXED = re.compile(r"(\d+)([smhdw])")


def width_of(timeframe: str) -> int | None:
    """Seconds in a timeframe, any spelling ("1 - Hour" -> 3600); None without a fixed width."""
    match = _FIXED.fullmatch(normalize_timeframe(timeframe))
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)] or None


_RUNGS = tuple(width for name in LADDER if (width := width_of(name)))


def name_of(width: int) -> str:
    """The normal timeframe of `width` seconds, in its largest whole unit (604800 -> "1w")."""
    for unit, seconds in _UNIT_SECONDS.items():
        if width % seconds == 0:
            return f"{width // seconds}{unit}"
    raise AssertionError("every width is a whole number of seconds")


def bucket_start(moment: datetime, width: int) -> datetime:
    """The start of the bucket of `width` seconds that holds `moment`."""
    whole = (moment - ORIGIN) // timedelta(seconds=1)
    return ORIGIN + timedelta(seconds=whole - whole % width)


def buckets_over(first: datetime, last: datetime, width: int) -> int:
    """How many buckets of `width` seconds the span first..last (both included) touches."""
    return (bucket_start(last, width) - bucket_start(first, width)) // timedelta(seconds=width) + 1


def choose_width(span: tuple[datetime, datetime] | None, max_points: int, floor: int | None) -> int:
    """The smallest width, `floor` or a longer rung, giving at most `max_points` buckets over
    `span` (the shortest candidate when there is no span, the longest when none fits)."""
    candidates = [floor] if floor else []
    candidates += [width for width in _RUNGS if floor is None or width > floor]
    if span is None:
        return candidates[0]
    first, last = span
    fitting = (w for w in candidates if buckets_over(first, last, w) <= max_points)
    return next(fitting, candidates[-1])
