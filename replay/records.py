"""A logged event as replay sends it: its log position, its id, its canonical payload.

A replayed event keeps its `event_id`: the canonical endpoint takes an `event_id` field beside
the payload's own fields, so the target stores the event under the id it has here and a second
replay is reported as duplicates there, even for events whose id the client chose rather than
stratlog derived. The wire form is therefore the stored payload with `event_id` added, keys
sorted as in every canonical payload; removing `event_id` gives back the stored bytes.
`own_time` is the event's time when the event carries one (the log falls back to the
received time for the others, which says nothing about the run's clock).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from schema.events import EVENT_TYPES

_CANONICAL = orjson.OPT_SORT_KEYS


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One row of `ingest_events`, ready to send."""

    position: int
    event_id: str
    event_type: str
    wire: bytes  # one canonical JSON object, without a newline
    own_time: datetime | None

    @classmethod
    def from_row(
        cls, position: int, event_id: str, event_type: str, event_utc: datetime, payload: str
    ) -> "LoggedEvent":
        document: dict[str, Any] = orjson.loads(payload)
        event_class = EVENT_TYPES.get(event_type)
        time_field = event_class.time_field if event_class else None
        # Nulls are left out of canonical payloads: an absent time field means no own time.
        own_time = event_utc if time_field is not None and time_field in document else None
        document["event_id"] = event_id
        return cls(
            position, event_id, event_type, orjson.dumps(document, option=_CANONICAL), own_time
        )
