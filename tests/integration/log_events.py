"""Builders of NewEvents for tests, derived exactly as ingest derives them."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest_api.log_store import NewEvent
from schema.codec import decode_event, encode_event
from schema.ids import derive_event_id

_EPOCH = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def new_event(data: Mapping[str, Any], *, source: str = "test") -> NewEvent:
    """A canonical event dict as the log stores it (derived id, canonical payload)."""
    event = decode_event(data)
    payload = encode_event(event)
    return NewEvent(
        event_id=derive_event_id(payload, event.occurred_utc),
        event_type=event.type,
        schema_version=event.version,
        run_id=event.stream_run_id,
        event_utc=event.occurred_utc,
        payload=payload.decode(),
        source=source,
    )


def bar_event(n: int, *, run_id: str = "run-1", close: float = 100.0) -> NewEvent:
    """The n-th one-minute bar of a run: a distinct event for each (run_id, n, close)."""
    return new_event(
        {
            "type": "bar.closed",
            "run_id": run_id,
            "symbol": "ESM5",
            "timeframe": "1m",
            "ts_utc": (_EPOCH + timedelta(minutes=n)).isoformat(),
            "open": 100.0,
            "high": 101.0,
            "low": 99.0,
            "close": close,
            "volume": float(n),
        }
    )
