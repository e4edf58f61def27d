"""Times as the C# exporters send them become aware UTC datetimes, or are refused cleanly."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schema.codec import decode_event, encode_event

HEARTBEAT = {"type": "run.heartbeat", "run_id": "R-1"}  # ts_utc: required
ORDER = {"type": "order.submitted", "run_id": "R-1", "order_id": "1001"}  # submit_utc: optional
TEN_UTC = datetime(2025, 1, 1, 10, tzinfo=UTC)


def _time(base: dict[str, Any], field: str, value: str) -> Any:
    return getattr(decode_event({**base, field: value}), field)


@pytest.mark.parametrize(("base", "field"), [(HEARTBEAT, "ts_utc"), (ORDER, "submit_utc")])
@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2025-01-01T10:00:00Z", TEN_UTC),
        ("2025-01-01T10:00:00.1234567Z", TEN_UTC.replace(microsecond=123456)),
        ("2025-01-01T10:00:00.9999999Z", TEN_UTC.replace(microsecond=999999)),
        ("2025-01-01T10:00:00.1234567", TEN_UTC.replace(microsecond=123456)),
        ("2025-01-01T10:00:00", TEN_UTC),
        ("2025-01-01T12:00:00+02:00", TEN_UTC),
        ("2025-01-01T05:00:00.5-05:00", TEN_UTC.replace(microsecond=500000)),
        ("2025-03-03T14:30:05.123456Z", datetime(2025, 3, 3, 14, 30, 5, 123456, tzinfo=UTC)),
    ],
)
def test_time_is_read_as_utc(
    base: dict[str, Any], field: str, sent: str, expected: datetime
) -> None:
    value = _time(base, field, sent)

    assert value == expected
    assert value.tzinfo is UTC


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2199-12-31T23:59:59.999999Z", datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2200-01-01T01:00:00+02:00", datetime(2199, 12, 31, 23, tzinfo=UTC)),
    ],
)
def test_range_is_checked_after_conversion_to_utc(sent: str, expected: datetime) -> None:
    assert _time(HEARTBEAT, "ts_utc", sent) == expected


@pytest.mark.parametrize(
    "sent",
    [
        "1969-12-31T23:59:59.999999Z",
        "2200-01-01T00:00:00Z",
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00.0000000Z",
        "0001-01-01T00:00:00+02:00",  # an offset that leaves datetime's range
        "9999-12-31T23:59:59-05:00",
        "2025-13-01T00:00:00Z",
        "yesterday",
    ],
)
def test_required_time_out_of_range_or_malformed_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_event({**HEARTBEAT, "ts_utc": sent})

    assert [error["loc"] for error in refused.value.errors()] == [("ts_utc",)]


@pytest.mark.parametrize(
    ("base", "field"),
    [
        (ORDER, "submit_utc"),
        ({"type": "order.updated", "run_id": "R-1", "order_id": "1001"}, "update_utc"),
        ({"type": "run.started", "run_id": "R-1"}, "start_utc"),
        ({"type": "run.ended", "run_id": "R-1"}, "end_utc"),
        ({"type": "oco.group_created", "run_id": "R-1", "oco_group_id": "G"}, "created_utc"),
    ],
)
@pytest.mark.parametrize(
    "unset", ["0001-01-01T00:00:00", "0001-01-01T00:00:00.0000000Z", "0001-01-01T00:00:00Z"]
)
def test_dotnet_min_value_on_optional_time_reads_as_absent(
    base: dict[str, Any], field: str, unset: str
) -> None:
    assert decode_event({**base, field: unset}) == decode_event(base)


@pytest.mark.parametrize("field", ["exec_utc", "ts_utc"])
def test_dotnet_min_value_on_required_time_is_refused(field: str) -> None:
    fill = {
        "type": "execution.recorded",
        "run_id": "R-1",
        "execution_id": "T-1",
        "order_id": "1001",
        "exec_utc": "2025-03-03T14:30:05Z",
        "price": 5701.75,
        "quantity": 1,
    }
    base = fill if field == "exec_utc" else HEARTBEAT

    with pytest.raises(ValidationError, match=r"outside 1970\.\.2200"):
        decode_event({**base, field: "0001-01-01T00:00:00"})


@pytest.mark.parametrize(
    ("sent", "written"),
    [
        ("2025-03-03T16:30:05+02:00", "2025-03-03T14:30:05Z"),
        ("2025-03-03T14:30:05.5000000Z", "2025-03-03T14:30:05.500000Z"),
        ("2025-03-03T14:30:05.0000001", "2025-03-03T14:30:05Z"),
    ],
)
def test_time_is_written_as_utc_with_z(sent: str, written: str) -> None:
    encoded = encode_event(decode_event({**HEARTBEAT, "ts_utc": sent}))

    assert f'"ts_utc":"{written}"'.encode() in encoded
