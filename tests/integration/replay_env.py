"""What the replay tests run against: a log holding two runs, and a scripted HTTP target.

`logged_store` appends canonical events to a real SQLite log in a data directory, exactly as
ingest stores them. `ScriptedTarget` is a tiny Starlette app standing in for another
stratlog's `/api/v1/events` (the outer edge of a replay): it answers the first requests from
a script (503 with Retry-After, a refusal, or acceptance) and then accepts, reporting
duplicates by event id as stratlog does; `serving` runs an app on a loopback port with
uvicorn, for real HTTP.
"""

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ingest_api.log_store import StoredEvent, open_event_log
from schema.settings import StoreSettings
from tests.e2e.serving import free_port
from tests.fixtures.sessions import bracket_session
from tests.integration.log_events import new_event

RUN, OTHER_RUN = "run-replayed", "run-other"


def two_runs() -> list[dict[str, Any]]:
    """RUN and OTHER_RUN of one strategy and instance, a strategy unrelated to either, and
    an instrument definition for every run; OTHER_RUN's events interleave with RUN's."""
    replayed, other = bracket_session(RUN), bracket_session(OTHER_RUN)[2:]
    unrelated = [
        {"type": "strategy.registered", "strategy_id": "Unrelated"},
        {"type": "instance.registered", "instance_id": "I-unrelated", "strategy_id": "Unrelated"},
    ]
    instrument = {"type": "instrument.defined", "symbol": "ESM5", "multiplier": 50.0}
    interleaved = [event for pair in zip(replayed[4:], other, strict=False) for event in pair]
    return [*unrelated, *replayed[:4], instrument, *interleaved, *other[len(replayed) - 4 :]]


async def logged_store(data_dir: Path, events: Sequence[Mapping[str, Any]]) -> list[StoredEvent]:
    """A data directory whose log holds `events` (in order); returns the stored rows."""
    settings = StoreSettings(data_dir=data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = await open_event_log(settings.resolved_log_url())
    try:
        await log.append([new_event(event) for event in events])
        return await log.read(after=0, limit=10_000)
    finally:
        await log.close()


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status, headers, a JSON body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class ScriptedTarget:
    """Answers requests from `script` first (None: accept that one), then accepts all."""

    script: list[Answer | None] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    accepted: list[list[dict[str, Any]]] = field(default_factory=list)  # batches it stored
    request_times: list[float] = field(default_factory=list)  # monotonic, every request
    headers: list[Mapping[str, str]] = field(default_factory=list)
    _stored: set[str] = field(default_factory=set)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/v1/events", self._post, methods=["POST"])])

    @property
    def event_ids(self) -> list[str]:
        return [item["event_id"] for batch in self.accepted for item in batch]

    async def _post(self, request: Request) -> Response:
        self.request_times.append(time.monotonic())
        self.headers.append(dict(request.headers))
        answer = self.script.pop(0) if self.script else None
        if answer is not None:
            return JSONResponse(answer.body, answer.status, headers=dict(answer.headers))
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        items = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        results = []
        for index, item in enumerate(items):
            status = "duplicate" if item["event_id"] in self._stored else "accepted"
            self._stored.add(item["event_id"])
            results.append({"index": index, "status": status, "event_id": item["event_id"]})
        self.accepted.append(items)
        return JSONResponse({"items": results})


@asynccontextmanager
async def serving(app: Starlette, port: int | None = None) -> AsyncIterator[str]:
    """`app` on a loopback port until the block exits; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the test target did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
