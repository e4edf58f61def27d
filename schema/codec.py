"""The one codec: every process turns JSON into events and events into JSON through here.

`decode_event` validates a JSON object (from a client or from the log) into the current class
of its type, upcasting older versions first; `encode_event` gives the canonical bytes stored
in the log: sorted keys, UTC times with `Z`, nulls left out (a missing field and a null one
mean the same), so equal events always encode to equal bytes and derive equal ids.
"""

from collections.abc import Mapping
from typing import Any

import orjson

from schema.events import EVENT_TYPES, Event, current_version
from schema.upcasters import upcast

_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z
_CURRENT_VERSIONS = {name: current_version(cls) for name, cls in EVENT_TYPES.items()}


class UnknownEventType(ValueError):
    """The `type` names no event type, or the `version` is newer than this code knows."""


def decode_event(data: Mapping[str, Any]) -> Event:
    """Validate a JSON object into its event class (raises pydantic.ValidationError)."""
    if not isinstance(data, Mapping):
        raise UnknownEventType(f"an event is a JSON object, not {type(data).__name__}")
    event_type = data.get("type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        known = ", ".join(sorted(EVENT_TYPES))
        raise UnknownEventType(f"unknown event type {event_type!r}; known types: {known}")
    cls, target = EVENT_TYPES[event_type], _CURRENT_VERSIONS[event_type]
    version = data.get("version", target)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= target:
        raise UnknownEventType(f"{event_type} has versions 1..{target}, not {version!r}")
    if version < target:
        data = upcast(dict(data), event_type, version, target)
    return cls.model_validate(data)


def decode_stored(payload: bytes | str) -> Event:
    """Decode a payload read back from the log."""
    return decode_event(orjson.loads(payload))


def encode_event(event: Event) -> bytes:
    """The canonical JSON bytes of an event."""
    # Python-mode dump + orjson writes the same bytes as pydantic's JSON mode (UTC "Z" times,
    # enum values) at less cost; the golden canonical files pin the equivalence.
    return orjson.dumps(event.model_dump(exclude_none=True), option=_CANONICAL)
