"""`*_json` fields: a JSON value or a string holding one decode alike; what the canonical
encoding could not keep is refused rather than silently altered."""

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from schema.codec import decode_event, decode_stored, encode_event

RUN = {"type": "run.started", "run_id": "R-1"}
INSTANCE = {"type": "instance.registered", "strategy_id": "StackedImbalance"}
BAR = {
    "type": "bar.closed",
    "run_id": "R-1",
    "symbol": "ESM5",
    "timeframe": "1 - Minute",
    "ts_utc": "2025-03-03T14:31:00Z",
    "open": 5701.75,
    "high": 5706.0,
    "low": 5701.0,
    "close": 5705.5,
}
FOOTPRINT = {"poc": 5704.25, "levels": [{"price": 5706.0, "bid": 35, "ask": 12}]}

JSON_FIELDS = [
    (RUN, "parameters_json", {"StopTicks": 8, "Session": {"start": "09:30", "tz": None}}),
    (RUN, "data_range", {"from": "2025-01-01", "to": "2025-03-01"}),
    (RUN, "metrics_json", {"net_pnl": 407.5, "trades": 1}),
    (RUN, "extra_json", {}),
    (INSTANCE, "symbols_json", ["ESM5", "NQM5"]),
    (BAR, "volumetric_json", FOOTPRINT),
    (BAR, "volumetric_json", [[5706.0, 35, 12], [5705.75, 61, 48]]),
]


@pytest.mark.parametrize(("base", "field", "value"), JSON_FIELDS)
def test_json_field_sent_as_text_decodes_like_the_value(
    base: dict[str, Any], field: str, value: object
) -> None:
    as_text = decode_event({**base, field: orjson.dumps(value).decode()})

    assert as_text == decode_event({**base, field: value})
    assert getattr(as_text, field) == value


@pytest.mark.parametrize(("base", "field", "value"), JSON_FIELDS)
def test_json_field_survives_encoding_with_its_nulls(
    base: dict[str, Any], field: str, value: object
) -> None:
    event = decode_event({**base, field: value})

    assert decode_stored(encode_event(event)) == event


def test_nested_object_keys_are_sorted_in_the_canonical_encoding() -> None:
    event = decode_event(
        {**RUN, "parameters_json": {"b": {"y": 1, "x": 2}, "a": [{"d": 1, "c": 2}]}}
    )

    assert b'"parameters_json":{"a":[{"c":2,"d":1}],"b":{"x":2,"y":1}}' in encode_event(event)


@pytest.mark.parametrize(
    ("base", "field", "sent"),
    [
        (RUN, "parameters_json", "{not json"),
        (RUN, "parameters_json", ""),
        (RUN, "parameters_json", "[1, 2]"),  # valid JSON, but not an object
        (RUN, "metrics_json", "5"),
        (INSTANCE, "symbols_json", '"ESM5"'),
        (INSTANCE, "symbols_json", '["ESM5", ""]'),
        (BAR, "volumetric_json", '"footprint"'),  # a bare string would read back as JSON text
        (BAR, "volumetric_json", "footprint"),
        (BAR, "volumetric_json", 12.5),
    ],
)
def test_json_field_of_the_wrong_shape_is_refused(
    base: dict[str, Any], field: str, sent: object
) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_event({**base, field: sent})

    assert {error["loc"][0] for error in refused.value.errors()} == {field}


@pytest.mark.parametrize(
    "value",
    [
        {"ratio": float("nan")},
        {"levels": [1.0, float("inf")]},
        {"deep": {"deeper": [{"x": -float("inf")}]}},
        {"big": 2**64},
        {"small": -(2**63) - 1},
    ],
)
@pytest.mark.parametrize(("base", "field"), [(RUN, "extra_json"), (BAR, "volumetric_json")])
def test_json_number_the_encoding_cannot_keep_is_refused(
    base: dict[str, Any], field: str, value: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_event({**base, field: value})

    assert {error["loc"][0] for error in refused.value.errors()} == {field}


@pytest.mark.parametrize("number", [2**64 - 1, -(2**63), 1e308, -0.0])
def test_json_numbers_at_the_edge_of_the_encoding_survive_it(number: float) -> None:
    event = decode_event({**RUN, "extra_json": {"n": number}})

    assert decode_stored(encode_event(event)) == event
