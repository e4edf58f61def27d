"""Timeframe strings normalised: "1 - Minute", "1m", "M1" and "1 min" are one timeframe.

Exporters name bar periods their own way (Quantower: "1 - Minute", the NuGet client: "1m",
MetaTrader style: "M1"). A series is keyed by the normal form `<count><unit>` with units
t (ticks), s, m, h, d, w, mo, so one run's bars land in one series whatever the spelling.
Unrecognised strings are kept, lower-cased and without spaces, rather than refused.
"""

import re

_UNITS = {
    "t": "t", "tick": "t", "ticks": "t",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "week": "w", "weeks": "w",
    "mo": "mo", "mn": "mo", "month": "mo", "months": "mo",
}  # fmt: skip
_COUNT_FIRST = re.compile(r"^(\d+)\s*-?\s*([a-z]+)$")
_UNIT_FIRST = re.compile(r"^([a-z]+)\s*-?\s*(\d+)$")


def normalize_timeframe(raw: str) -> str:
    """The canonical spelling of a timeframe ("1 - Minute" -> "1m", "H4" -> "4h")."""
    text = raw.strip().lower()
    for pattern, count_group, unit_group in ((_COUNT_FIRST, 1, 2), (_UNIT_FIRST, 2, 1)):
        match = pattern.match(text)
        if match:
            unit = _UNITS.get(match.group(unit_group))
            if unit is not None:
                return f"{int(match.group(count_group))}{unit}"
    unit = _UNITS.get(text)
    if unit is not None:  # a bare unit: "Minute", "Daily" is not one, "day" is
        return f"1{unit}"
    return re.sub(r"\s+", "", text)
