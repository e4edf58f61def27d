"""A logged event as replay sends it: the stored payload plus its event id, and the event's
own time only when the event carries one."""

from datetime import UTC, datetime

import orjson
import pytest

from replay.records import LoggedEvent
from schema.codec import decode_event, encode_event

RECEIVED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
BAR_TIME = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def logged(data: dict[str, object], event_utc: datetime) -> LoggedEvent:
    payload = encode_event(decode_event(data)).decode()
    return LoggedEvent.from_row(7, "client-id-1", str(data["type"]), event_utc, payload)


def test_the_wire_form_is_the_stored_payload_with_the_event_id_added() -> None:
    data: dict[str, object] = {"type": "strategy.registered", "strategy_id": "S", "name": "Été ✓"}
    payload = encode_event(decode_event(data))

    wire = orjson.loads(logged(data, RECEIVED).wire)

    assert wire.pop("event_id") == "client-id-1"
    assert orjson.dumps(wire, option=orjson.OPT_SORT_KEYS) == payload
    assert b"\n" not in logged(data, RECEIVED).wire


@pytest.mark.parametrize(
    ("data", "event_utc", "own_time"),
    [
        (
            {
                "type": "bar.closed",
                "run_id": "r",
                "symbol": "ES",
                "timeframe": "1m",
                "ts_utc": "2025-03-03T14:30:00Z",
                "open": 1.0,
                "high": 1.0,
                "low": 1.0,
                "close": 1.0,
            },
            BAR_TIME,
            BAR_TIME,
        ),
        ({"type": "strategy.registered", "strategy_id": "S"}, RECEIVED, None),
        ({"type": "run.started", "run_id": "r"}, RECEIVED, None),  # its time is optional
    ],
    ids=["timed", "untimed-type", "time-not-sent"],
)
def test_own_time_is_the_events_time_never_the_received_time_the_log_falls_back_to(
    data: dict[str, object], event_utc: datetime, own_time: datetime | None
) -> None:
    assert logged(data, event_utc).own_time == own_time
