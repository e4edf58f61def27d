"""One raw item becomes a `NewEvent` ready to append, or a `Rejection` for the quarantine.

Every route decodes through `schema.codec.decode_event`. The event id is the client's
`event_id` when it sent one, else derived from the canonical content and the event's own time
(`schema.ids.derive_event_id`), so a re-sent event maps to the same id. Validation errors are
reported as (dotted field path, message); a rejection keeps the raw text and whatever type,
run and id could be read from the item.
"""

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from ingest_api.body import RawItem
from ingest_api.compat import ItemKind, to_canonical
from ingest_api.log_store import FieldError, NewEvent, Rejection
from schema.codec import UnknownEventType, decode_event, encode_event
from schema.events import EVENT_TYPES
from schema.ids import derive_event_id

MAX_EVENT_ID_LENGTH = 200
MAX_ERRORS_PER_ITEM = 20
MAX_FIELD_PATH_LENGTH = 200

Decoded = NewEvent | Rejection
Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def canonical_item(raw: RawItem, index: int, source: str) -> Decoded:
    """A flat canonical event `{"type", "version"?, "event_id"?, ...fields}`."""
    return _decode(raw, index, source, prepare=None)


def compat_item(
    raw: RawItem,
    index: int,
    source: str,
    kind: ItemKind,
    *,
    fixed: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    event_id: str | None = None,
) -> Decoded:
    """An exporter's item of `kind` (see `ingest_api.compat`); `event_id` overrides the item's."""

    def prepare(data: dict[str, Any]) -> dict[str, Any]:
        return to_canonical(kind, data, fixed=fixed, defaults=defaults)

    return _decode(raw, index, source, prepare=prepare, event_id=event_id)


def reject(
    raw: RawItem, index: int, source: str, errors: list[FieldError], data: Mapping[str, Any]
) -> Rejection:
    """A quarantine entry for an item, with what could be read from it."""
    return Rejection(
        item_index=index,
        raw=raw.raw,
        errors=tuple(errors[:MAX_ERRORS_PER_ITEM]),
        source=source,
        event_id=_text_or_none(data.get("event_id")),
        event_type=_text_or_none(data.get("type")),
        run_id=_text_or_none(data.get("run_id")),
    )


def _decode(
    raw: RawItem, index: int, source: str, *, prepare: Prepare | None, event_id: str | None = None
) -> Decoded:
    if raw.error is not None:  # not JSON, or over the item limits (then its fields are read)
        context = raw.value if isinstance(raw.value, dict) else {}
        return reject(raw, index, source, [FieldError("", raw.error)], context)
    if not isinstance(raw.value, dict):
        kind = type(raw.value).__name__ if raw.value is not None else "null"
        return reject(
            raw, index, source, [FieldError("", f"expected a JSON object, not {kind}")], {}
        )
    data = dict(raw.value)
    client_id = data.pop("event_id", None)
    event_id = event_id or client_id
    context = {**data, "event_id": event_id}
    if event_id is not None and not _valid_event_id(event_id):
        message = f"must be a non-blank string of at most {MAX_EVENT_ID_LENGTH} characters"
        return reject(raw, index, source, [FieldError("event_id", message)], context)
    if prepare is not None:
        data = prepare(data)
        context = {**data, "event_id": event_id}
    try:
        event = decode_event(data)
        payload = encode_event(event)
    except UnknownEventType as exc:
        known_type = isinstance(data.get("type"), str) and data["type"] in EVENT_TYPES
        field = "version" if known_type else "type"
        return reject(raw, index, source, [FieldError(field, str(exc))], context)
    except ValidationError as exc:
        return reject(raw, index, source, field_errors(exc), context)
    except orjson.JSONEncodeError:
        error = FieldError("", "item nests too deeply to store as an event")
        return reject(raw, index, source, [error], context)
    run_id = event.stream_run_id
    for field, value in (("event_id", event_id), ("run_id", run_id)):
        if value is not None and "\x00" in value:  # PostgreSQL text cannot hold NUL
            error = FieldError(field, "must not contain NUL characters")
            return reject(raw, index, source, [error], context)
    occurred = event.occurred_utc
    return NewEvent(
        event_id=event_id or derive_event_id(payload, occurred),
        event_type=event.type,
        schema_version=event.version,
        run_id=run_id,
        event_utc=occurred,
        payload=payload.decode(),
        source=source,
        item_index=index,
    )


def field_errors(exc: ValidationError) -> list[FieldError]:
    """pydantic's errors as (dotted path, message) pairs."""
    errors = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS_PER_ITEM]:
        path = ".".join(str(part) for part in error["loc"])
        errors.append(FieldError(path[:MAX_FIELD_PATH_LENGTH], error["msg"]))
    return errors


def _valid_event_id(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_EVENT_ID_LENGTH


def _text_or_none(value: object) -> str | None:
    """A short text for a quarantine column (which, on PostgreSQL, cannot hold NUL)."""
    return value[:MAX_EVENT_ID_LENGTH].replace("\x00", "\\x00") if isinstance(value, str) else None
