"""HTTP load: pre-encoded JSON batches posted over keep-alive connections by N clients.

A deliberately small HTTP/1.1 client on asyncio streams: on a 2-core machine the load
generator shares the CPU with the server, and a full client library spends several times the
server's per-request cost on its own bookkeeping, which would measure the client. Requests
are built before the clock starts; each response's status and `accepted` count are checked,
so a pass that lost or duplicated events fails instead of reporting a figure.
"""

import asyncio
import time
from dataclasses import dataclass

import orjson

from bench.stats import Sample


class HttpError(RuntimeError):
    """The server answered something other than a 2xx with every event accepted."""


@dataclass(frozen=True, slots=True)
class Batch:
    """One request: the body and the number of events in it."""

    body: bytes
    events: int


class Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads Content-Length bodies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, host: str, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, host)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            raise HttpError("connection closed by the server")
        status = int(status_line.split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise HttpError("chunked responses are not supported by the bench client")
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


async def post_batches(
    host: str, port: int, path: str, batches: list[Batch], clients: int
) -> Sample:
    """Post every batch, `clients` at a time, and time the whole pass."""
    connections = [await Connection.open(host, port) for _ in range(clients)]
    next_index = 0
    latencies: list[float] = []
    accepted = 0

    async def client(connection: Connection) -> None:
        nonlocal next_index, accepted
        while next_index < len(batches):
            batch = batches[next_index]
            next_index += 1  # no await in between: asyncio makes this hand-out atomic
            started = time.perf_counter()
            status, body = await connection.post(path, batch.body)
            latencies.append(time.perf_counter() - started)
            if not 200 <= status < 300:
                raise HttpError(f"HTTP {status}: {body[:500]!r}")
            count = int(orjson.loads(body)["accepted"])
            if count != batch.events:
                raise HttpError(f"{count} of {batch.events} events accepted: {body[:500]!r}")
            accepted += count

    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in connections))
        elapsed = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return Sample(accepted, elapsed, tuple(latencies))
