"""Request limits: a body, its decompressed form or its item count over the limit is a 413,
found before the work it would cost (a gzip bomb never inflates past the limit)."""

import gzip
import zlib
from collections.abc import AsyncIterator

import orjson
import pytest

from tests.conftest import StoreLocation
from tests.integration.ingest_harness import Ingest, running_ingest

PATH = "/api/v1/events"
LIMIT = 4096


@pytest.fixture
async def ingest(sqlite_location: StoreLocation) -> AsyncIterator[Ingest]:
    async with running_ingest(
        sqlite_location,
        max_body_bytes=LIMIT,
        max_decompressed_bytes=4 * LIMIT,
        max_batch_items=10,
    ) as running:
        yield running


def heartbeats(count: int, pad: int = 0) -> bytes:
    return orjson.dumps(
        [
            {
                "type": "run.heartbeat",
                "run_id": "r" + "x" * pad,
                "ts_utc": f"2025-01-01T00:00:{i:02d}Z",
            }
            for i in range(count)
        ]
    )


def assert_too_large(response_json: dict[str, dict[str, str]]) -> None:
    assert response_json["error"]["code"] == "payload_too_large"


async def test_a_body_over_the_limit_is_a_413(ingest: Ingest) -> None:
    body = heartbeats(2, pad=LIMIT)

    response = await ingest.client.post(PATH, content=body)

    assert response.status_code == 413
    assert_too_large(response.json())
    assert await ingest.events() == []


async def test_a_streamed_body_without_content_length_is_counted(ingest: Ingest) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    response = await ingest.client.post(PATH, content=chunks())

    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_a_gzip_bomb_stops_at_the_decompressed_limit(ingest: Ingest) -> None:
    bomb = gzip.compress(b"[" + b" " * (3 * 1024 * 1024) + b"]", compresslevel=9)
    assert len(bomb) < LIMIT  # ~1000:1, the most deflate gives

    response = await ingest.client.post(PATH, content=bomb, headers={"content-encoding": "gzip"})

    assert response.status_code == 413
    assert "decompressed" in response.json()["error"]["message"]


async def test_too_many_items_is_a_413(ingest: Ingest) -> None:
    response = await ingest.client.post(PATH, content=heartbeats(11))

    assert response.status_code == 413
    assert "11 items" in response.json()["error"]["message"]


async def test_too_many_ndjson_lines_is_a_413(ingest: Ingest) -> None:
    body = b"{}\n" * 11

    response = await ingest.client.post(
        PATH, content=body, headers={"content-type": "application/x-ndjson"}
    )

    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [b"not gzip at all", gzip.compress(heartbeats(2))[:-12], zlib.compress(b"[]")],
    ids=["garbage", "truncated", "zlib-not-gzip"],
)
async def test_a_corrupt_gzip_body_is_a_400(ingest: Ingest, body: bytes) -> None:
    response = await ingest.client.post(PATH, content=body, headers={"content-encoding": "gzip"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


async def test_concatenated_gzip_members_are_one_body(ingest: Ingest) -> None:
    body = gzip.compress(b'[{"type": "run.heartbeat", "run_id": "r", ') + gzip.compress(
        b'"ts_utc": "2025-01-01T00:00:00Z"}]'
    )

    response = await ingest.client.post(PATH, content=body, headers={"content-encoding": "gzip"})

    assert response.status_code == 200
    assert response.json()["accepted"] == 1


async def test_an_unknown_content_encoding_is_a_415(ingest: Ingest) -> None:
    response = await ingest.client.post(PATH, content=b"[]", headers={"content-encoding": "br"})

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_encoding"
