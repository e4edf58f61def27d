"""The one codec: every process turns JSON into events and events into JSON through here.

`decode_event` validates a JSON object (from a client) into the current class of its type,
upcasting older versions first; `decode_stored` reads a payload back from the log;
`encode_event` gives the canonical bytes stored in the log: sorted keys, UTC times with `Z`,
nulls left out (a missing field and a null one mean the same), so equal events always encode
to equal bytes and derive equal ids.
"""

import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

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
    """Decode a payload read back from the log.

    The log holds only what `decode_event` accepted, written by `encode_event`, so an event of
    its type's current version is rebuilt without validating it a second time (which was
    most of the projector's decoding cost): its times parsed, its enum values looked up, the
    rest taken as stored. Older versions are upcast and validated by `decode_event`, as is
    anything without the shape of a known type and version (not an object, a field missing
    or unknown: a log damaged by something else than ingest), which then says what is wrong.
    """
    data = orjson.loads(payload)
    if isinstance(data, dict):
        rebuild = _STORED.get((data.get("type"), data.get("version")))
        event = rebuild(data) if rebuild is not None else None
        if event is not None:
            return event
    return decode_event(data)


class _Rebuild:
    """An event of one class from its canonical JSON, as `model_construct` makes one (the
    same four attributes), without its per-field alias and default-factory handling: the
    classes it serves have neither (`_rebuild_of`)."""

    def __init__(self, cls: type[Event], parsers: dict[str, Callable[[Any], Any]]) -> None:
        self.cls = cls
        self.parsers = tuple(parsers.items())
        # Every field in declaration order; a required one's default is PydanticUndefined.
        self.defaults = {name: field.default for name, field in cls.model_fields.items()}

    def __call__(self, data: dict[str, Any]) -> Event | None:
        """The event, or None when `data` lacks a required field or has an unknown one."""
        values = self.defaults.copy()
        values.update(data)
        if len(values) != len(self.defaults) or PydanticUndefined in values.values():
            return None
        for name, parse in self.parsers:
            value = values[name]
            if value is not None:
                values[name] = parse(value)
        event = self.cls.__new__(self.cls)
        object.__setattr__(event, "__dict__", values)
        object.__setattr__(event, "__pydantic_fields_set__", set(data))
        object.__setattr__(event, "__pydantic_extra__", None)
        object.__setattr__(event, "__pydantic_private__", None)
        return event


def _parser(annotation: Any) -> Callable[[Any], Any] | None:
    """How a canonical JSON value becomes the field's value: times and enums are parsed,
    everything else (strings, floats, JSON documents, literals) is stored as it is held."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is datetime:
        return datetime.fromisoformat  # canonical times end in "Z": aware, UTC
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    return None


def _plain(field: FieldInfo) -> bool:
    return field.alias is None and field.validation_alias is None and field.default_factory is None


def _rebuild_of(cls: type[Event]) -> _Rebuild | None:
    """The rebuild of `cls`, or None when its fields need more than `_Rebuild` does."""
    fields = cls.model_fields
    if cls.model_config.get("extra") == "allow" or cls.__pydantic_post_init__ is not None:
        return None
    if not all(_plain(field) for field in fields.values()):
        return None
    parsers = {name: p for name, field in fields.items() if (p := _parser(field.annotation))}
    return _Rebuild(cls, parsers)


_STORED: dict[tuple[object, object], _Rebuild] = {
    (name, _CURRENT_VERSIONS[name]): rebuild
    for name, cls in EVENT_TYPES.items()
    if (rebuild := _rebuild_of(cls)) is not None
}


def encode_event(event: Event) -> bytes:
    """The canonical JSON bytes of an event."""
    # Python-mode dump + orjson writes the same bytes as pydantic's JSON mode (UTC "Z" times,
    # enum values) at less cost; the golden canonical files pin the equivalence.
    return orjson.dumps(event.model_dump(exclude_none=True), option=_CANONICAL)
