"""The events every benchmark writes: generated sessions (stratlog.simulation), ready for a log.

The generator's payloads are already canonical, so a log row is built without pydantic:
sorted-key JSON and the id the server derives from it (time prefix + content hash,
`schema.ids`), byte for byte what ingest would store, as `check_canonical` proves on a
sample. That keeps a million-event prefill shorter than the measurement. `to_exporter_item`
turns an event into the item the exporters' batch endpoints take.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from schema.codec import decode_event, encode_event
from schema.events import EVENT_TYPES
from schema.ids import derive_event_id
from stratlog.simulation import generate_sessions

_TIME_FIELDS = {name: cls.time_field for name, cls in EVENT_TYPES.items()}
# What the exporters' batch endpoints take (DESIGN §4): orders, executions, bars.
EXPORTER_KINDS = {
    "order.submitted": "orders",
    "order.updated": "orders",
    "execution.recorded": "executions",
    "bar.closed": "bars",
}


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One event as a log row needs it: id, type, run, source time and canonical payload."""

    event_id: str
    event_type: str
    run_id: str | None
    occurred: datetime | None
    payload: bytes
    document: dict[str, Any]


def log_event(document: dict[str, Any]) -> LogEvent:
    """A generated (canonical) event, with the id the server derives for it."""
    payload = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    field = _TIME_FIELDS[document["type"]]
    text = document.get(field) if field else None
    occurred = datetime.fromisoformat(text) if text else None
    return LogEvent(
        derive_event_id(payload, occurred),
        document["type"],
        document.get("run_id"),
        occurred,
        payload,
        document,
    )


def session(
    seed: int, runs: int, events_per_run: int, concurrent: int | None = None
) -> Iterator[LogEvent]:
    """A generated session as log events (about `runs` x `events_per_run` of them)."""
    documents = generate_sessions(
        seed, runs=runs, events_per_run=events_per_run, concurrent=concurrent, prefix="bench"
    )
    return map(log_event, documents)


def take(events: Iterator[LogEvent], count: int) -> list[LogEvent]:
    """The next `count` events; fails if the session is shorter."""
    taken = list(islice(events, count))
    if len(taken) != count:
        raise ValueError(f"the session ran out: {len(taken)} of {count} events")
    return taken


def to_exporter_item(event: LogEvent) -> tuple[str, dict[str, Any]]:
    """(batch endpoint name, item) for an order, execution or bar: the canonical fields
    without `type` and `version`, which the path decides."""
    item = {k: v for k, v in event.document.items() if k not in ("type", "version")}
    return EXPORTER_KINDS[event.event_type], item


def check_canonical(events: Iterable[LogEvent]) -> None:
    """Fail loudly unless each event's payload and id are what the product would store."""
    for event in events:
        decoded = decode_event(orjson.loads(event.payload))
        if encode_event(decoded) != event.payload:
            raise AssertionError(f"bench payload is not canonical: {event.payload!r}")
        if derive_event_id(event.payload, decoded.occurred_utc) != event.event_id:
            raise AssertionError(f"bench event id differs from the product's: {event.payload!r}")
