"""The canonical route `POST /api/v1/events` over a real store (SQLite, and PostgreSQL)."""

import gzip
import zlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson
import pytest

from ingest_api.log_store import AppendReceipt, NewEvent
from schema.codec import decode_event, encode_event
from schema.ids import derive_event_id
from tests.conftest import StoreLocation
from tests.integration.ingest_harness import Ingest, Receipts, running_ingest

PATH = "/api/v1/events"


def bar(minute: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "bar.closed",
        "run_id": "run-1",
        "symbol": "ESM5",
        "timeframe": "1m",
        "ts_utc": f"2025-03-03T14:{minute:02d}:00Z",
        "open": 1.0,
        "high": 2.0,
        "low": 0.5,
        "close": 1.5,
        **fields,
    }


@pytest.fixture
async def ingest(store_location: StoreLocation) -> AsyncIterator[Ingest]:
    async with running_ingest(store_location) as running:
        yield running


async def test_a_batch_is_appended_in_order_with_derived_ids(ingest: Ingest) -> None:
    batch = [bar(0), bar(1), bar(2)]

    response = await ingest.post(PATH, batch)

    assert response.status_code == 200
    report = response.json()
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (3, 0, 0)
    assert (report["first_position"], report["last_position"]) == (1, 3)
    events = await ingest.events()
    assert [e.position for e in events] == [1, 2, 3]
    for item, event, sent in zip(report["items"], events, batch, strict=True):
        canonical = decode_event(sent)
        expected_id = derive_event_id(encode_event(canonical), canonical.occurred_utc)
        assert item == {
            "index": item["index"],
            "status": "accepted",
            "event_id": expected_id,
            "position": event.position,
        }
        assert event.event_id == expected_id
        assert event.payload == encode_event(canonical).decode()
        assert (event.event_type, event.run_id, event.source) == ("bar.closed", "run-1", PATH)


async def test_the_same_batch_twice_is_stored_once_and_reported_as_duplicates(
    ingest: Ingest,
) -> None:
    batch = [bar(0), bar(1, event_id="client-id-1")]
    first = (await ingest.post(PATH, batch)).json()

    again = await ingest.post(PATH, batch)

    assert again.status_code == 200
    second = again.json()
    assert (second["accepted"], second["duplicates"], second["rejected"]) == (0, 2, 0)
    assert [i["status"] for i in second["items"]] == ["duplicate", "duplicate"]
    assert [i["position"] for i in second["items"]] == [i["position"] for i in first["items"]]
    assert second["items"][1]["event_id"] == "client-id-1"
    assert (second["first_position"], second["last_position"]) == (1, 2)
    assert len(await ingest.events()) == 2


async def test_same_event_id_with_other_content_is_a_quarantined_conflict(ingest: Ingest) -> None:
    await ingest.post(PATH, [bar(0, event_id="E-1")])

    response = await ingest.post(PATH, [bar(0, event_id="E-1", close=9.0)])

    assert response.status_code == 422
    [item] = response.json()["items"]
    assert item["status"] == "conflict"
    assert (item["event_id"], item["position"]) == ("E-1", 1)
    assert item["errors"][0]["field"] == "event_id"
    [row] = await ingest.quarantined()
    assert row["quarantine_id"] == item["quarantine_id"]
    assert row["event_id"] == "E-1"
    assert orjson.loads(row["raw"])["close"] == 9.0
    assert len(await ingest.events()) == 1


async def test_one_bad_item_is_quarantined_and_the_rest_appended(ingest: Ingest) -> None:
    bad = bar(1, event_id="bad-1", high="very")

    response = await ingest.post(PATH, [bar(0), bad, bar(2)])

    assert response.status_code == 200
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (2, 1)
    rejected = report["items"][1]
    assert rejected["index"] == 1
    assert rejected["status"] == "rejected"
    assert rejected["event_id"] == "bad-1"
    assert "position" not in rejected
    assert [e["field"] for e in rejected["errors"]] == ["high"]
    assert "valid number" in rejected["errors"][0]["message"]
    [row] = await ingest.quarantined()
    assert row["quarantine_id"] == rejected["quarantine_id"]
    assert (row["item_index"], row["event_id"], row["run_id"]) == (1, "bad-1", "run-1")
    assert (row["event_type"], row["source"]) == ("bar.closed", PATH)
    assert orjson.loads(row["raw"]) == bad
    assert row["errors"] == rejected["errors"]
    assert len(await ingest.events()) == 2


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({**bar(0), "colour": "red"}, "colour"),
        ({**bar(0), "type": "bar.opened"}, "type"),
        ({**bar(0), "version": 99}, "version"),
        ({**bar(0), "ts_utc": "yesterday"}, "ts_utc"),
        ({**bar(0), "event_id": ""}, "event_id"),
        ({**bar(0), "run_id": "r\u0000"}, "run_id"),
        ([1, 2], ""),
    ],
    ids=["unknown-field", "unknown-type", "future-version", "bad-time", "blank-id", "nul", "array"],
)
async def test_an_invalid_item_names_the_field_at_fault(
    ingest: Ingest, item: Any, field: str
) -> None:
    response = await ingest.post(PATH, [item])

    assert response.status_code == 422
    [result] = response.json()["items"]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == field
    assert len(await ingest.quarantined()) == 1


async def test_an_empty_batch_is_answered_with_an_empty_report(ingest: Ingest) -> None:
    response = await ingest.post(PATH, [])

    assert response.status_code == 200
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": 0,
        "first_position": None,
        "last_position": None,
        "items": [],
    }


async def test_a_single_object_body_is_one_item(ingest: Ingest) -> None:
    response = await ingest.post(PATH, bar(0))

    assert response.status_code == 200
    assert response.json()["accepted"] == 1


@pytest.mark.parametrize(
    "content_type", ["application/x-ndjson", "application/json", None], ids=str
)
async def test_ndjson_is_accepted_and_a_bad_line_quarantined_with_its_text(
    ingest: Ingest, content_type: str | None
) -> None:
    body = b"\n".join([orjson.dumps(bar(0)), b'{"type": "bar.closed", oops', orjson.dumps(bar(1))])
    headers = {"content-type": content_type} if content_type else {}

    response = await ingest.client.post(PATH, content=body + b"\n", headers=headers)

    assert response.status_code == 200
    report = response.json()
    assert [i["status"] for i in report["items"]] == ["accepted", "rejected", "accepted"]
    assert report["items"][1]["errors"][0]["field"] == ""
    [row] = await ingest.quarantined()
    assert row["raw"] == '{"type": "bar.closed", oops'


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_body_is_accepted(ingest: Ingest, encoding: str) -> None:
    raw = orjson.dumps([bar(0), bar(1)])
    body = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)

    response = await ingest.client.post(PATH, content=body, headers={"content-encoding": encoding})

    assert response.status_code == 200
    assert response.json()["accepted"] == 2


async def test_a_body_that_is_not_json_is_a_400_with_an_error_body(ingest: Ingest) -> None:
    response = await ingest.client.post(PATH, content=b'[{"type": "bar.closed"},')

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_body"
    assert "not valid JSON" in error["message"]
    assert await ingest.quarantined() == []


async def test_after_append_is_given_each_receipt(store_location: StoreLocation) -> None:
    receipts = Receipts()
    async with running_ingest(store_location, after_append=receipts) as ingest:
        await ingest.post(PATH, [bar(0), bar(1)])

    [(events, receipt)] = receipts.seen
    assert [r.position for r in receipt.results] == [1, 2]
    assert [(e.event_type, e.run_id) for e in events] == [("bar.closed", "run-1")] * 2


async def test_a_failing_after_append_hook_does_not_fail_the_request(
    store_location: StoreLocation,
) -> None:
    async def broken(_events: Sequence[NewEvent], _receipt: AppendReceipt) -> None:
        raise RuntimeError("doorbell is down")

    async with running_ingest(store_location, after_append=broken) as ingest:
        response = await ingest.post(PATH, [bar(0)])
        assert response.status_code == 200
        assert len(await ingest.events()) == 1
