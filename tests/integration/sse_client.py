"""Reading Server-Sent Events in tests, and serving an ASGI app for real to stream them.

httpx's ASGITransport hands back a response only once it is complete, which a live stream
never is; so streams are read from a real uvicorn server on a free loopback port, run in
the test's event loop (`served`). `SseParser` turns the lines of a `text/event-stream` into
events, for async (`SseReader`) and blocking (the e2e tests) clients alike.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

READ_TIMEOUT_S = 10.0


@dataclass
class Sse:
    """One event (or a comment: `event` None and `comment` set)."""

    event: str | None = None
    data: Any = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None


@dataclass
class SseParser:
    """The SSE wire format, line by line (https://html.spec.whatwg.org/#event-stream)."""

    _fields: dict[str, str] = field(default_factory=dict)
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> Sse | None:
        """The event that `line` completes (a blank line ends one), if any."""
        if line == "":
            if not self._fields and not self._data:
                return None
            event = Sse(
                event=self._fields.get("event"),
                data=json.loads("\n".join(self._data)) if self._data else None,
                id=self._fields.get("id"),
                retry=int(self._fields["retry"]) if "retry" in self._fields else None,
                comment=self._fields.get("comment"),
            )
            self._fields, self._data = {}, []
            return event
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            self._fields["comment"] = value
        elif name == "data":
            self._data.append(value)
        else:
            self._fields[name] = value
        return None


class SseReader:
    """The events of a streaming httpx response, each awaited with a timeout."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self._parser = SseParser()

    async def next(self, *, comments: bool = False, timeout: float = READ_TIMEOUT_S) -> Sse:
        """The next event (comments skipped unless asked for); StopAsyncIteration at the end."""
        while True:
            line = await asyncio.wait_for(anext(self._lines), timeout)
            event = self._parser.feed(line)
            if event is not None and (comments or event.comment is None):
                return event

    async def until(self, kind: str, run_id: str | None, **more: int) -> list[Sse]:
        """Events up to and including the first `kind` of `run_id` (with `more` data)."""
        seen = []
        while True:
            event = await self.next()
            seen.append(event)
            data = event.data if isinstance(event.data, dict) else {}
            wanted = {"run_id": run_id, **more}
            if event.event == kind and all(data.get(k) == v for k, v in wanted.items()):
                return seen

    async def collect(self, wanted: set[tuple[str, str | None]]) -> list[Sse]:
        """Events until each (kind, run id) of `wanted` has been seen."""
        seen: list[Sse] = []
        missing = set(wanted)
        while missing:
            event = await self.next()
            seen.append(event)
            if isinstance(event.data, dict):
                missing.discard((event.event or "", event.data.get("run_id")))
        return seen


@asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    """`app` under uvicorn on a free port until the block exits: its base URL, and the server."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, ws="none"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, READ_TIMEOUT_S)


@asynccontextmanager
async def streaming(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None, **params: Any
) -> AsyncIterator[SseReader]:
    """A stream that must open (200, text/event-stream)."""
    async with client.stream("GET", path, params=params, headers=headers) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SseReader(response)
