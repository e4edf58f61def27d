"""No client input produces a 5xx: garbage thrown at every ingest route is answered with a
4xx (or accepted and quarantined), with a JSON body and no stack trace. Run on PostgreSQL too,
where some inputs (NUL characters) would fail a write if they reached the database."""

import gzip
from collections.abc import AsyncIterator

import orjson
import pytest

from ingest_api.app import create_app
from tests.conftest import StoreLocation
from tests.integration.ingest_harness import Ingest, running_ingest


def _post_paths() -> list[str]:
    paths = create_app().openapi()["paths"]
    return [path.replace("{run_id}", "run-1") for path, ops in paths.items() if "post" in ops]


POST_PATHS = _post_paths()
DEEP_OBJECT = b'{"extra_json":' + b'{"a":' * 300 + b"1" + b"}" * 301
BAD_FIELDS = orjson.dumps(
    {
        "type": "order.updated",
        "run_id": [],
        "order_id": {},
        "quantity": "abc",
        "submit_utc": "not a date",
        "extra_json": "not json",
        "status": 5,
        "side": ["BUY"],
        "symbols_json": [1] * 100,
    }
)

BODIES: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b" \n\t ",
    "null": b"null",
    "number": b"42",
    "string": b'"text"',
    "true": b"true",
    "empty-array": b"[]",
    "empty-object": b"{}",
    "array-of-null": b"[null]",
    "array-of-scalars": b'[1, "a", null, true, []]',
    "truncated-array": b"[1,2",
    "open-brace": b"{",
    "reversed-braces": b"}{",
    "invalid-utf8": b'{"run_id": "\xff\xfe"}',
    "binary": b"\xff\xfe\x00\x01",
    "surrogate": b'["\\ud800"]',
    "nan": b"NaN",
    "nan-in-array": b"[NaN]",
    "infinity": b'[{"price": Infinity}]',
    "overflowing-float": b'{"price": 1e400}',
    "huge-integers": b'[{"type": "execution.recorded", "quantity": 12345678901234567890123456789}]',
    "huge-in-object": b'{"price": 123456789012345678901234567890, "quantity": -1e308}',
    "deep-5000": b"[" * 5000 + b"]" * 5000,
    "deep-600": b"[" * 600 + b"]" * 600,
    "deep-object": DEEP_OBJECT,
    "nul-escape": b'{"type": "run.heartbeat", "run_id": "a\\u0000b", "ts_utc": "2025-01-01T00:00Z",'
    b' "order_id": "\\u0000", "execution_id": "x", "strategy_id": "\\u0000"}',
    "nul-bytes-ndjson": b'{"a": 1}\n\x00\x00\n{"b": "\x00"}\n',
    "wrong-types": BAD_FIELDS,
    "far-future": b'{"exec_utc": "9999-12-31T23:59:59-05:00", "ts_utc": "9999-12-31T23:59-05:00",'
    b' "start_utc": "9999-12-31T23:59:59-05:00", "end_utc": "0001-01-01T00:00:00+05:00"}',
    "impossible-date": b'{"ts_utc": "2025-13-45T99:99:99Z", "start_time": 1e20, "end_time": []}',
    "long-strings": orjson.dumps({"run_id": "x" * 100_000, "strategy_id": "y" * 100_000}),
    "odd-type": orjson.dumps({"type": ["bar.closed"], "version": True}),
    "odd-version": b'[{"type": "bar.closed", "version": 1.0}, {"type": "bar.closed", "version": -1}'
    b', {"type": "bar.closed", "version": 1180591620717411303424}]',
    "stream-shapes": orjson.dumps({"orders": "x", "executions": [1, 2], "bars": {"a": 1}}),
    "ndjson-mixed": b'{"type": "bar.closed"}\n[1]\nnot json\n"s"\n',
}

HEADERS: dict[str, dict[str, str]] = {
    "text-plain": {"content-type": "text/plain"},
    "multipart": {"content-type": "multipart/form-data; boundary=x"},
    "ndjson": {"content-type": "application/x-ndjson"},
    "latin1": {"content-type": "application/json; charset=latin-1"},
    "nonsense-type": {"content-type": "???"},
    "gzip-not-gzip": {"content-encoding": "gzip"},
    "double-gzip": {"content-encoding": "gzip, gzip"},
    "brotli": {"content-encoding": "br"},
    "long-idempotency-key": {"idempotency-key": "k" * 5000},
}


@pytest.fixture
async def ingest(store_location: StoreLocation) -> AsyncIterator[Ingest]:
    async with running_ingest(store_location, max_batch_items=100_000) as running:
        yield running


def assert_answered_without_a_server_error(response_status: int, body: object, where: str) -> None:
    assert response_status < 500, where
    assert isinstance(body, dict), where
    assert body.keys() & {"error", "items", "status", "run_id"}, where
    assert "Traceback" not in orjson.dumps(body).decode(), where


async def test_garbage_bodies_never_cause_a_server_error(ingest: Ingest) -> None:
    for path in POST_PATHS:
        for name, body in BODIES.items():
            response = await ingest.client.post(path, content=body)
            where = f"{path} {name}"
            assert_answered_without_a_server_error(response.status_code, response.json(), where)


async def test_garbage_headers_never_cause_a_server_error(ingest: Ingest) -> None:
    for path in POST_PATHS:
        for name, headers in HEADERS.items():
            for body in (b'{"a": 1}', gzip.compress(b"[]"), b"\x1f\x8b\x08garbage"):
                response = await ingest.client.post(path, content=body, headers=headers)
                where = f"{path} {name}"
                assert_answered_without_a_server_error(response.status_code, response.json(), where)


@pytest.mark.parametrize(
    "run_id",
    ["%00", "%20", "x" * 5000, "%F0%9F%92%A9", "a%2Fb"],
    ids=["nul", "blank", "long", "emoji", "slash"],
)
async def test_odd_run_ids_in_the_stop_path_never_cause_a_server_error(
    ingest: Ingest, run_id: str
) -> None:
    response = await ingest.client.post(f"/api/runs/{run_id}/stop")

    assert_answered_without_a_server_error(response.status_code, response.json(), run_id)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_other_methods_get_an_error_body(ingest: Ingest, method: str) -> None:
    response = await ingest.client.request(method, "/api/v1/events")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
