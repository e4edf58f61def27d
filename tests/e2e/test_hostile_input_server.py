"""Hostile input against a real `stratlog serve`: a gzip bomb, 100 MB bodies (declared, and
streamed without a length), JSON nested 1,000 deep and a 10 MB string field, to the ingest
routes and the read API's compare routes, three times over. Each is a 4xx, the process's
memory stays within what the limits allow (its peak too, read from /proc), and it keeps
serving. Bodies with a declared length are sent over a raw socket, headers and a first
chunk only: the answer must come before the rest is sent.
"""

import asyncio
import socket
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

import httpx
import orjson
import pytest

from ingest_api.settings import IngestSettings
from schema.security.http import API_KEY_HEADER
from tests.credentials import new_key
from tests.e2e.serving import ServerProcess, free_port, stratlog_serve, wait_until_answering
from tests.fixtures.hostile import (
    CHUNK,
    HEARTBEAT,
    LENIENT_PATH,
    MIB,
    deep_item,
    gzip_bomb,
    long_string_item,
)

pytestmark = pytest.mark.slow

INGEST_LIMIT = 16 * MIB  # the defaults
READ_LIMIT = MIB
ROUNDS = 3
# What the limits allow at once: a body inflated to its 64 MiB limit (measured: 77 MiB over
# the start at the peak, nothing lasting). Without them the bomb alone would take 256 MiB.
PEAK_GROWTH_BOUND = 128 * MIB
LASTING_GROWTH_BOUND = 64 * MIB

Send = Callable[[ServerProcess, dict[str, str]], int]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    """A server on an empty data directory, and an admin key it accepts."""
    logs = tmp_path_factory.mktemp("hostile")
    data = logs / "data"
    key = asyncio.run(new_key(IngestSettings(data_dir=data)))
    port = free_port()
    args = ("--data-dir", str(data), "--port", str(port))
    with stratlog_serve(*args, port=port, logs=logs) as running:
        wait_until_answering(running, "stratlog serve")
        yield running, key
    assert "Traceback" not in running.output(), running.output()


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def raw_post(
    server: ServerProcess, path: str, headers: dict[str, str], parts: Iterable[bytes]
) -> int:
    """POST over a socket: the headers, then `parts`; the answer's status."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for part in parts:
            sock.sendall(part)
        answer = b""
        while b"\r\n" not in answer:
            received = sock.recv(4096)
            assert received, "the server closed the connection without answering"
            answer += received
    return int(answer.split(b" ", 2)[1])


def declared(path: str, size: int) -> Send:
    """A body declared `size` bytes long, of which only the first chunk is sent."""

    def send(server: ServerProcess, headers: dict[str, str]) -> int:
        length = {"Content-Type": "application/json", "Content-Length": str(size)}
        return raw_post(server, path, {**headers, **length}, [b" " * CHUNK])

    return send


def chunked(path: str, limit: int) -> Send:
    """A chunked body sent until one chunk past `limit` (it would go on to 100 MB)."""

    def send(server: ServerProcess, headers: dict[str, str]) -> int:
        framing = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        chunk = b"%x\r\n%s\r\n" % (CHUNK, b" " * CHUNK)
        return raw_post(server, path, {**headers, **framing}, [chunk] * (limit // CHUNK + 1))

    return send


@cache
def bomb() -> bytes:
    return gzip_bomb(256 * MIB)


def posted(path: str, body: Callable[[], bytes], extra: dict[str, str] | None = None) -> Send:
    def send(server: ServerProcess, headers: dict[str, str]) -> int:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            answer = client.post(path, content=body(), headers={**headers, **(extra or {})})
        assert "error" in answer.json() or "errors" in answer.json(), answer.text
        return answer.status_code

    return send


# What each is answered; JSON nested 1,000 deep parses or not depending on the stack in use.
HOSTILE: dict[str, tuple[Send, set[int]]] = {
    "gzip bomb": (posted("/api/v1/events", bomb, {"content-encoding": "gzip"}), {413}),
    "declared 100 MB to ingest": (declared("/api/v1/events", 100 * MIB), {413}),
    "streamed 100 MB to ingest": (chunked("/api/v1/events", INGEST_LIMIT), {413}),
    "declared 100 MB to compare": (declared("/api/v1/compare", 100 * MIB), {413}),
    "streamed 100 MB to compare": (chunked("/api/metrics/compare", READ_LIMIT), {413}),
    "1000-deep item": (posted(LENIENT_PATH, lambda: deep_item(1000)), {422}),
    "1000-deep compare": (
        posted("/api/metrics/compare", lambda: b"[" * 1000 + b"]" * 1000),
        {400, 422},
    ),
    "10 MB string field": (posted(LENIENT_PATH, lambda: long_string_item(10 * MIB)), {422}),
    "10 MB string to compare": (
        posted("/api/metrics/compare", lambda: orjson.dumps({"run_ids": ["x" * (10 * MIB)]})),
        {413},
    ),
}


def serves(server: ServerProcess, headers: dict[str, str]) -> None:
    """A normal write and a normal read succeed."""
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        assert client.post("/api/v1/events", json=[HEARTBEAT]).status_code == 200
        assert client.get("/api/v1/events", params={"limit": 1}).status_code == 200
        compared = client.post("/api/metrics/compare", json={"run_ids": ["no-such-run"]})
        assert compared.status_code in (200, 404), compared.text


def test_hostile_requests_are_4xx_in_bounded_memory_and_the_server_keeps_serving(
    server: tuple[ServerProcess, str],
) -> None:
    process, key = server
    headers = {API_KEY_HEADER: key}
    serves(process, headers)
    before = memory_kib(process.process.pid)

    for _ in range(ROUNDS):
        for name, (send, status) in HOSTILE.items():
            assert send(process, headers) in status, name
        serves(process, headers)

    after = memory_kib(process.process.pid)
    lasting = (after["VmRSS"] - before["VmRSS"]) * 1024
    peak = (after["VmHWM"] - before["VmRSS"]) * 1024
    assert lasting < LASTING_GROWTH_BOUND, f"RSS grew {lasting / MIB:.0f} MiB"
    assert peak < PEAK_GROWTH_BOUND, f"the peak RSS was {peak / MIB:.0f} MiB over the start"
