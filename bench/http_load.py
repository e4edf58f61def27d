"""HTTP load: pre-encoded JSON batches posted over keep-alive connections by N clients.

A deliberately small HTTP/1.1 client on asyncio streams: on a 2-core machine the load
generator shares the CPU with the server, and a full client library spends several times the
server's per-request cost on its own bookkeeping, which would measure the client. Requests
are built before the clock starts; each response's status and `accepted` count are checked,
so a pass that lost or duplicated events fails instead of reporting a figure. `post_batches`
sends as fast as the clients go (throughput); `post_paced` offers batches at a fixed rate
(latency under a given load, each measured from when its batch was due).
"""

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from bench.stats import Sample


class HttpError(RuntimeError):
    """The server answered something other than a 2xx with every event accepted."""


@dataclass(frozen=True, slots=True)
class Batch:
    """One request: where it goes, the body, and the number of events in it."""

    path: str
    body: bytes
    events: int


class Connection:
    """One keep-alive HTTP/1.1 connection that sends JSON and reads Content-Length bodies."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: str
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._head = head  # Host and the fixed headers (the API key)

    @classmethod
    async def open(cls, host: str, port: int, headers: Mapping[str, str]) -> "Connection":
        reader, writer = await asyncio.open_connection(host, port)
        fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        return cls(reader, writer, f"Host: {host}\r\n{fixed}")

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """(status, body) of one request."""
        content = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self._writer.write(f"{method} {path} HTTP/1.1\r\n{self._head}{content}\r\n".encode() + body)
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

    async def post(self, batch: Batch) -> dict[str, Any]:
        """Post `batch`; its report, once checked: 2xx and every event accepted."""
        status, body = await self.request("POST", batch.path, batch.body)
        if not 200 <= status < 300:
            raise HttpError(f"HTTP {status} from {batch.path}: {body[:500]!r}")
        report: dict[str, Any] = orjson.loads(body)
        if int(report["accepted"]) != batch.events:
            raise HttpError(
                f"{report['accepted']} of {batch.events} events accepted: {body[:500]!r}"
            )
        return report

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


async def post_batches(
    host: str, port: int, headers: Mapping[str, str], batches: list[Batch], clients: int
) -> Sample:
    """Post every batch, `clients` at a time, and time the whole pass."""
    connections = [await Connection.open(host, port, headers) for _ in range(clients)]
    next_index, latencies, accepted = 0, list[float](), 0

    async def client(connection: Connection) -> None:
        nonlocal next_index, accepted
        while next_index < len(batches):
            batch = batches[next_index]
            next_index += 1  # no await in between: asyncio makes this hand-out atomic
            started = time.perf_counter()
            await connection.post(batch)
            latencies.append(time.perf_counter() - started)
            accepted += batch.events

    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in connections))
        elapsed = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return Sample(accepted, elapsed, tuple(latencies))


Acknowledged = Callable[[int, dict[str, Any]], None]


async def post_paced(
    host: str,
    port: int,
    headers: Mapping[str, str],
    batches: list[Batch],
    rate: float,
    clients: int,
    on_report: Acknowledged | None = None,
) -> Sample:
    """Offer the batches at `rate` events/s over up to `clients` connections; each latency
    runs from when its batch was due, so waiting for a free connection counts. `on_report`
    is told each batch's index and report as soon as it is acknowledged."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(clients):
        idle.put_nowait(await Connection.open(host, port, headers))
    latencies: list[float] = []

    async def send(index: int, due: float) -> None:
        connection = await idle.get()
        try:
            report = await connection.post(batches[index])
            latencies.append(time.perf_counter() - due)
        finally:
            idle.put_nowait(connection)
        if on_report is not None:
            on_report(index, report)

    started, offered, sending = time.perf_counter(), 0, set[asyncio.Task[None]]()
    try:
        for index, batch in enumerate(batches):
            due = started + offered / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(send(index, due))
            sending.add(task)
            task.add_done_callback(sending.discard)
            offered += batch.events
        await asyncio.gather(*sending)
        elapsed = time.perf_counter() - started
    finally:
        while not idle.empty():
            await idle.get_nowait().close()
    return Sample(offered, elapsed, tuple(latencies))
