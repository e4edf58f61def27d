"""A raw item becomes a NewEvent ready to append, or a Rejection (ingest_api.items)."""

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from ingest_api.body import RawItem, json_text
from ingest_api.compat import ItemKind
from ingest_api.items import MAX_ERRORS_PER_ITEM, canonical_item, compat_item
from ingest_api.log_store import FieldError, NewEvent, Rejection
from schema.codec import decode_event, encode_event
from schema.ids import derive_event_id

SOURCE = "/test"
FILL: dict[str, Any] = {
    "type": "execution.recorded",
    "run_id": "run-1",
    "execution_id": "T-1",
    "order_id": "1001",
    "exec_utc": "2025-03-03T14:30:05.1234567Z",
    "price": 5701.75,
    "quantity": 1.0,
}


def raw(value: Any) -> RawItem:
    return RawItem(json_text(value), value)


def decoded_event(value: Any) -> NewEvent:
    item = canonical_item(raw(value), 3, SOURCE)
    assert isinstance(item, NewEvent), item
    return item


def rejection(value: Any) -> Rejection:
    item = canonical_item(raw(value), 3, SOURCE)
    assert isinstance(item, Rejection), item
    return item


def test_a_valid_item_gives_the_columns_and_canonical_payload() -> None:
    event = decoded_event(FILL)

    canonical = decode_event(FILL)
    assert event == NewEvent(
        event_id=derive_event_id(encode_event(canonical), canonical.occurred_utc),
        event_type="execution.recorded",
        schema_version=1,
        run_id="run-1",
        event_utc=datetime(2025, 3, 3, 14, 30, 5, 123456, tzinfo=UTC),
        payload=encode_event(canonical).decode(),
        source=SOURCE,
        item_index=3,
    )


def test_the_derived_id_depends_on_content_only() -> None:
    reordered = dict(reversed(FILL.items()))

    assert decoded_event(reordered).event_id == decoded_event(FILL).event_id
    assert decoded_event({**FILL, "price": 1.0}).event_id != decoded_event(FILL).event_id


def test_a_client_event_id_is_kept_and_not_part_of_the_payload() -> None:
    event = decoded_event({**FILL, "event_id": "client-1"})

    assert event.event_id == "client-1"
    assert "event_id" not in orjson.loads(event.payload)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"price": "cheap"}, "price"),
        ({"extra_json": {"a": [1, {"b": float("inf")}]}}, "extra_json"),
        ({"type": "fill"}, "type"),
        ({"type": ["execution.recorded"]}, "type"),
        ({"version": 2}, "version"),
        ({"event_id": 12}, "event_id"),
        ({"event_id": "x" * 201}, "event_id"),
        ({"run_id": "a\x00b"}, "run_id"),
        ({"event_id": "a\x00b"}, "event_id"),
    ],
)
def test_an_invalid_item_is_rejected_naming_the_field(change: dict[str, Any], field: str) -> None:
    refused = rejection({**FILL, **change})

    assert refused.errors[0].field == field
    assert (refused.item_index, refused.source) == (3, SOURCE)


def test_a_nested_error_has_a_dotted_path() -> None:
    item = {"type": "instance.registered", "strategy_id": "s", "symbols_json": ["ES", ""]}

    assert [e.field for e in rejection(item).errors] == ["symbols_json.1"]


def test_a_rejection_keeps_the_raw_text_and_what_could_be_read() -> None:
    refused = rejection({**FILL, "event_id": "e-1", "price": None})

    assert orjson.loads(refused.raw) == {**FILL, "event_id": "e-1", "price": None}
    assert (refused.event_id, refused.event_type, refused.run_id) == (
        "e-1",
        "execution.recorded",
        "run-1",
    )


def test_a_rejections_columns_never_hold_nul() -> None:
    refused = rejection({**FILL, "run_id": "a\x00b", "type": "t\x00"})

    assert refused.run_id == "a\\x00b"
    assert refused.event_type == "t\\x00"


@pytest.mark.parametrize("value", [[FILL], 5, "text", None])
def test_an_item_that_is_not_an_object_is_rejected(value: Any) -> None:
    assert rejection(value).errors[0].field == ""


def test_an_item_that_is_not_json_is_rejected_with_its_text() -> None:
    refused = canonical_item(RawItem("{oops", error="bad JSON"), 0, SOURCE)

    assert refused == Rejection(0, "{oops", (FieldError("", "bad JSON"),), SOURCE)


def test_the_errors_of_one_item_are_capped() -> None:
    item = {"type": "instance.registered", "strategy_id": "s", "symbols_json": [""] * 500}

    assert len(rejection(item).errors) == MAX_ERRORS_PER_ITEM


def test_a_compat_item_is_mapped_then_validated() -> None:
    item = {k: v for k, v in FILL.items() if k not in ("type", "exec_utc")}
    old = {**item, "exec_time": "2025-03-03T09:30:05-05:00", "liquidity_flag": "MAKER"}

    event = compat_item(raw(old), 0, SOURCE, ItemKind.EXECUTION)

    assert isinstance(event, NewEvent)
    payload = orjson.loads(event.payload)
    assert (payload["exec_utc"], payload["liquidity"]) == ("2025-03-03T14:30:05Z", "MAKER")


def test_a_compat_event_id_override_wins() -> None:
    item = {**FILL, "event_id": "client"}

    event = compat_item(raw(item), 0, SOURCE, ItemKind.EXECUTION, event_id="route")

    assert isinstance(event, NewEvent)
    assert event.event_id == "route"
