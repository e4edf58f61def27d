"""A page of raw events from the log: its documented shape, and how it is written.

The log stores each event's payload as canonical JSON text (sorted keys, UTC times with Z).
A page passes that text through as the item's `event` object without parsing it: the page
is written with orjson, the payload embedded as a `Fragment`, so an event reaches the client
exactly as the log holds it and a page of 1,000 costs no parse and re-serialisation per
item. `LogEventPage` documents the result (OpenAPI) and is what tests validate it against.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from read_api.cursors import encode_cursor
from read_api.log_queries import LogRow

_EXAMPLE: dict[str, JsonValue] = {
    "position": 1042,
    "event_id": "01955c69-fe43-8f97-8452-8156ad1d4b9b",
    "type": "execution.recorded",
    "version": 1,
    "run_id": "5b1f2c9e-8a1d-4c55-9a39-0d6f3e2b7a10",
    "event_utc": "2025-03-03T14:30:05.123456Z",
    "received_utc": "2025-03-03T14:30:05.301200Z",
    "source": "/api/ingest/event/execution",
    "event": {
        "exec_utc": "2025-03-03T14:30:05.123456Z",
        "execution_id": "T-1",
        "fee": 1.25,
        "order_id": "1001",
        "price": 5701.75,
        "quantity": 1.0,
        "run_id": "5b1f2c9e-8a1d-4c55-9a39-0d6f3e2b7a10",
        "type": "execution.recorded",
        "version": 1,
    },
}


class LogEventItem(BaseModel):
    """One event as the log holds it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    position: int = Field(description="Its place in the log: the order projections use.")
    event_id: str
    type: str = Field(description="Dotted event type (docs/events.md).")
    version: int = Field(description="Schema version of the stored payload.")
    run_id: str | None = Field(description="Null for events of no run (strategies, instances…).")
    event_utc: datetime = Field(description="Source time of the event.")
    received_utc: datetime = Field(description="When the log appended it.")
    source: str = Field(description="The endpoint or adapter that appended it.")
    event: dict[str, JsonValue] = Field(description="The canonical payload, as stored.")


class LogEventPage(BaseModel):
    """Events in log order; pass `next_cursor` back for the next page."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EXAMPLE], "next_cursor": "WzEwNDJd"}]}
    )

    items: list[LogEventItem]
    next_cursor: str | None = Field(description="Null on the last page.")


def page_json(rows: Sequence[LogRow], limit: int) -> bytes:
    """The `LogEventPage` of `rows` (read with limit + 1), written with the payloads as-is."""
    page = rows[:limit]
    items: list[dict[str, Any]] = [
        {
            "position": position,
            "event_id": event_id,
            "type": event_type,
            "version": version,
            "run_id": run_id,
            "event_utc": event_utc,
            "received_utc": received_utc,
            "source": source,
            "event": orjson.Fragment(payload),
        }
        for (position, event_id, event_type, version, run_id, event_utc, received_utc, source,
             payload) in page
    ]  # fmt: skip
    more = len(rows) > limit
    cursor = encode_cursor([page[-1][0]]) if more else None
    return orjson.dumps({"items": items, "next_cursor": cursor}, option=orjson.OPT_UTC_Z)
