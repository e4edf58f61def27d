"""Hostile input is a clear 4xx at a bounded cost, and the app keeps serving: a gzip bomb, a
100 MB body (declared or streamed), JSON nested 1,000 deep and a 10 MB string field, sent to
the ingest app and to the read API's JSON bodies (the compare routes). In-process apps over
real SQLite, default limits unless a test says otherwise; tests/e2e/test_hostile_input_server.py
sends the same to a real server and watches its memory."""

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from ingest_api.body import KEPT_OF_LARGE_ITEM
from tests.conftest import StoreLocation
from tests.fixtures.hostile import (
    CHUNK,
    HEARTBEAT,
    LENIENT_PATH,
    MIB,
    Stream,
    deep_item,
    gzip_bomb,
    long_string_item,
)
from tests.integration.ingest_harness import Ingest, running_ingest
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

EVENTS = "/api/v1/events"
KEYS = "/api/admin/keys"  # a JSON body FastAPI reads, not the route
COMPARE_PATHS = ["/api/v1/compare", "/api/metrics/compare"]
UNKNOWN_RUNS = {
    "/api/v1/compare": b'{"kind": "runs", "ids": ["no-such-run"]}',
    "/api/metrics/compare": b'{"run_ids": ["no-such-run"]}',
}
INGEST_BODY_LIMIT = 16 * MIB  # the defaults
READ_BODY_LIMIT = MIB


@pytest.fixture
async def ingest(sqlite_location: StoreLocation) -> AsyncIterator[Ingest]:
    async with running_ingest(sqlite_location) as running:
        yield running


@pytest.fixture
async def read_api(tmp_path: Path) -> AsyncIterator[Api]:
    async with projection_env("sqlite", tmp_path) as env, read_api_over(env, tmp_path) as api:
        yield api


async def assert_ingest_still_serves(ingest: Ingest) -> None:
    response = await ingest.post(EVENTS, [HEARTBEAT])
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] + response.json()["duplicates"] == 1


async def assert_read_still_serves(api: Api) -> None:
    assert (await api.get("/api/v1/runs"))["items"] == []


def assert_refused(response_json: dict[str, dict[str, str]], code: str) -> None:
    assert response_json["error"]["code"] == code


async def test_a_gzip_bomb_is_a_413_having_inflated_no_more_than_the_limit(
    ingest: Ingest,
) -> None:
    bomb = gzip_bomb(128 * MIB)
    assert len(bomb) < MIB

    response = await ingest.client.post(EVENTS, content=bomb, headers={"content-encoding": "gzip"})

    assert response.status_code == 413
    assert_refused(response.json(), "payload_too_large")
    assert "decompressed body exceeds 67108864 bytes" in response.json()["error"]["message"]
    await assert_ingest_still_serves(ingest)


async def test_a_declared_100_mb_ingest_body_is_a_413_before_any_of_it_is_read(
    ingest: Ingest,
) -> None:
    body = Stream(100 * MIB)

    response = await ingest.client.post(
        EVENTS, content=body, headers={"content-length": str(body.size)}
    )

    assert response.status_code == 413
    assert_refused(response.json(), "payload_too_large")
    assert body.sent <= CHUNK
    await assert_ingest_still_serves(ingest)


@pytest.mark.parametrize("path", [EVENTS, KEYS])
async def test_a_streamed_100_mb_ingest_body_is_read_no_further_than_the_limit(
    ingest: Ingest, path: str
) -> None:
    body = Stream(100 * MIB)

    response = await ingest.client.post(path, content=body)

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert_refused(response.json(), "payload_too_large")
    assert body.sent <= INGEST_BODY_LIMIT + CHUNK
    await assert_ingest_still_serves(ingest)


@pytest.mark.parametrize("depth", [33, 1000])
async def test_an_item_nested_deeper_than_the_limit_is_quarantined_whole_never_logged(
    ingest: Ingest, depth: int
) -> None:
    item = deep_item(depth)

    response = await ingest.client.post(LENIENT_PATH, content=item)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"] == "item nests deeper than 32 levels of arrays and objects"
    assert await ingest.events() == []
    [row] = await ingest.quarantined()
    assert row["raw"] == item.decode().replace(" ", "")  # compact, whole
    await assert_ingest_still_serves(ingest)


async def test_an_item_as_deep_as_the_limit_is_logged(ingest: Ingest) -> None:
    response = await ingest.client.post(LENIENT_PATH, content=deep_item(32))

    assert response.status_code == 201, response.text
    assert len(await ingest.events()) == 1


@pytest.mark.parametrize("path", [LENIENT_PATH, EVENTS])
async def test_a_10_mb_string_field_is_quarantined_as_its_first_kib_never_logged(
    ingest: Ingest, path: str
) -> None:
    item = long_string_item(10 * MIB)

    response = await ingest.client.post(path, content=item)

    assert response.status_code == 422
    body = response.json()
    [error] = body["errors"] if "errors" in body else body["items"][0]["errors"]
    assert error["message"].startswith(f"item is {len(item):,} bytes of JSON; the limit is")
    assert await ingest.events() == []
    [row] = await ingest.quarantined()
    assert row["raw"] == item[:KEPT_OF_LARGE_ITEM].decode()
    await assert_ingest_still_serves(ingest)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
async def test_a_hostile_item_in_a_batch_is_quarantined_and_the_others_are_logged(
    ingest: Ingest, content_type: str
) -> None:
    items = [
        orjson.dumps(HEARTBEAT),
        orjson.dumps({**HEARTBEAT, "run_id": "x" * (2 * MIB)}),
        b'{"type": "run.heartbeat", "x": ' + b"[" * 999 + b"]" * 999 + b"}",
        orjson.dumps({**HEARTBEAT, "ts_utc": "2025-01-01T00:00:01Z"}),
    ]
    body = b"\n".join(items) if "ndjson" in content_type else b"[" + b",".join(items) + b"]"

    response = await ingest.client.post(
        EVENTS, content=body, headers={"content-type": content_type}
    )

    assert response.status_code == 200
    statuses = [item["status"] for item in response.json()["items"]]
    assert statuses == ["accepted", "rejected", "rejected", "accepted"]
    assert len(await ingest.events()) == 2
    assert [len(row["raw"]) <= KEPT_OF_LARGE_ITEM for row in await ingest.quarantined()] == [
        True,
        False,  # the deep item is kept whole: it is within the size limit
    ]


@pytest.mark.parametrize("path", COMPARE_PATHS)
async def test_a_declared_100_mb_read_body_is_a_413_before_any_of_it_is_read(
    read_api: Api, path: str
) -> None:
    body = Stream(100 * MIB)

    response = await read_api.client.post(
        path, content=body, headers={"content-length": str(body.size)}
    )

    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "payload_too_large", "message": f"body exceeds {READ_BODY_LIMIT} bytes"}
    }
    assert body.sent <= CHUNK
    await assert_read_still_serves(read_api)


@pytest.mark.parametrize("path", COMPARE_PATHS)
async def test_a_streamed_100_mb_read_body_is_read_no_further_than_the_limit(
    read_api: Api, path: str
) -> None:
    body = Stream(100 * MIB)

    response = await read_api.client.post(path, content=body)

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert_refused(response.json(), "payload_too_large")
    assert body.sent <= READ_BODY_LIMIT + CHUNK
    await assert_read_still_serves(read_api)


@pytest.mark.parametrize("path", COMPARE_PATHS)
async def test_a_streamed_read_body_within_the_limit_reaches_the_route(
    read_api: Api, path: str
) -> None:
    body = UNKNOWN_RUNS[path]

    async def chunks() -> AsyncIterator[bytes]:
        yield body[:10]
        yield body[10:]

    response = await read_api.client.post(
        path, content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 404, response.text


@pytest.mark.parametrize("path", COMPARE_PATHS)
@pytest.mark.parametrize(
    ("body", "statuses"),
    [
        # Whether 1,000 levels parse depends on the stack in use: 400 if not, else 422.
        (b'{"run_ids": ' + b"[" * 1000 + b"]" * 1000 + b"}", {400, 422}),
        (b'{"run_ids": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {400}),
        (orjson.dumps({"run_ids": ["x" * (10 * MIB)]}), {413}),
    ],
    ids=["1000-deep", "100000-deep", "10-mb-string"],
)
async def test_hostile_json_to_a_read_route_is_a_4xx(
    read_api: Api, path: str, body: bytes, statuses: set[int]
) -> None:
    response = await read_api.client.post(
        path, content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code in statuses, response.text
    assert "error" in response.json()
    await assert_read_still_serves(read_api)
