"""decode_event accepts exactly the known types and versions, with their fields and no others."""

from typing import Any

import pytest
from pydantic import ValidationError

from schema.codec import UnknownEventType, decode_event, decode_stored, encode_event
from schema.events import ExecutionRecorded, RunHeartbeat

FILL = {
    "type": "execution.recorded",
    "run_id": "R-1",
    "execution_id": "T-1",
    "order_id": "1001",
    "exec_utc": "2025-03-03T14:30:05.1234560Z",
    "price": 5701.75,
    "quantity": 1.0,
}
HEARTBEAT = {"type": "run.heartbeat", "run_id": "R-1", "ts_utc": "2025-03-03T14:31:00Z"}
INSTRUMENT = {"type": "instrument.defined", "symbol": "ESM5"}


def _refused_fields(data: dict[str, Any]) -> list[tuple[int | str, ...]]:
    with pytest.raises(ValidationError) as refused:
        decode_event(data)
    return [error["loc"] for error in refused.value.errors()]


@pytest.mark.parametrize(
    ("base", "unknown"),
    [(FILL, "side_hint"), (HEARTBEAT, "event_id"), (INSTRUMENT, "Multiplier")],
)
def test_unknown_field_is_refused_by_name(base: dict[str, Any], unknown: str) -> None:
    assert _refused_fields({**base, unknown: "x"}) == [(unknown,)]


@pytest.mark.parametrize("missing", ["run_id", "execution_id", "order_id", "exec_utc", "price"])
def test_missing_required_field_is_refused_by_name(missing: str) -> None:
    data = {key: value for key, value in FILL.items() if key != missing}

    assert _refused_fields(data) == [(missing,)]


@pytest.mark.parametrize("event_type", ["order.deleted", "Order.Submitted", "", 5, None])
def test_unknown_type_is_refused_with_the_known_types(event_type: object) -> None:
    with pytest.raises(UnknownEventType, match=r"unknown event type .*known types: bar\.closed"):
        decode_event({**HEARTBEAT, "type": event_type})


def test_missing_type_is_refused() -> None:
    data = {key: value for key, value in HEARTBEAT.items() if key != "type"}

    with pytest.raises(UnknownEventType, match="unknown event type None"):
        decode_event(data)


@pytest.mark.parametrize("version", [2, 99, 0, -1, "1", 1.0, True, None])
def test_version_this_code_does_not_know_is_refused(version: object) -> None:
    with pytest.raises(UnknownEventType, match=r"run\.heartbeat has versions 1\.\.1, not "):
        decode_event({**HEARTBEAT, "version": version})


def test_missing_version_means_the_current_version() -> None:
    assert decode_event(HEARTBEAT) == decode_event({**HEARTBEAT, "version": 1})


@pytest.mark.parametrize("field", ["price", "quantity", "fee"])
@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -float("inf"), "NaN", "-Infinity", "1e400"]
)
def test_non_finite_number_is_refused(field: str, value: object) -> None:
    assert _refused_fields({**FILL, field: value}) == [(field,)]


@pytest.mark.parametrize(
    ("field", "value"),
    [("multiplier", 0), ("multiplier", -50.0), ("tick_size", 0.0), ("tick_size", -0.25)],
)
def test_contract_terms_must_be_positive(field: str, value: float) -> None:
    assert _refused_fields({**INSTRUMENT, field: value}) == [(field,)]


@pytest.mark.parametrize("run_id", ["", "   ", "x" * 201])
def test_identifier_must_hold_1_to_200_characters(run_id: str) -> None:
    assert _refused_fields({**HEARTBEAT, "run_id": run_id}) == [("run_id",)]


def test_identifier_is_trimmed() -> None:
    event = decode_event({**HEARTBEAT, "run_id": "  R-1\t"})

    assert event == decode_event(HEARTBEAT)


def test_identifier_of_200_characters_is_accepted() -> None:
    assert decode_event({**HEARTBEAT, "run_id": "x" * 200}).stream_run_id == "x" * 200


def test_null_and_missing_optional_fields_are_the_same_event_and_bytes() -> None:
    with_nulls = decode_event({**FILL, "fee": None, "side": None, "extra_json": None})

    assert with_nulls == decode_event(FILL)
    assert encode_event(with_nulls) == encode_event(decode_event(FILL))
    assert b"null" not in encode_event(with_nulls)


def test_events_are_immutable() -> None:
    event = decode_event(HEARTBEAT)
    assert isinstance(event, RunHeartbeat)

    with pytest.raises(ValidationError):
        event.run_id = "R-2"  # type: ignore[misc]


@pytest.mark.parametrize(
    "payload", [encode_event(decode_event(FILL)), encode_event(decode_event(FILL)).decode()]
)
def test_stored_payload_decodes_from_bytes_or_text(payload: bytes | str) -> None:
    assert decode_stored(payload) == decode_event(FILL)


def test_occurred_utc_is_the_time_field_and_stream_run_id_the_run() -> None:
    fill = decode_event(FILL)
    instrument = decode_event(INSTRUMENT)

    assert isinstance(fill, ExecutionRecorded)
    assert (fill.occurred_utc, fill.stream_run_id) == (fill.exec_utc, "R-1")
    assert (instrument.occurred_utc, instrument.stream_run_id) == (None, None)
