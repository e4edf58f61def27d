"""The live stream: `GET /api/v1/stream`, Server-Sent Events telling dashboards what changed.

With `run_id`, that run's changes; without it, every run's (read_api/stream_feeds.py). The
feed is opened before the response starts, so a store down is still a 503, an unknown run a
404 and a foreign `Last-Event-ID` a 422. Then the server polls the stores every
`stream_poll_seconds` and sends what grew; an idle stream gets a comment every
`stream_heartbeat_seconds`, so proxies keep it open. A store that fails mid-stream ends the
stream with an `error` event: the status line is long gone.

uvicorn (0.54) waits for open responses to end before it shuts down and does not tell the
app it is shutting down, so an open stream would hold a stopping server for ever. Streams
therefore end themselves once the server running them has begun to exit (`_server_exiting`);
a browser's EventSource then reconnects, with its last id, to whichever server is up.
"""

import signal
import time
from collections.abc import AsyncIterable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from read_api.dependencies import SettingsDep, StoresDep
from read_api.errors import RETRY_AFTER_SECONDS, ErrorBody, ErrorDetail, StoreUnavailable
from read_api.routes.documented import DocumentedRoute
from read_api.stream_feeds import RunFeed, RunsFeed
from schema.security.http import UNAUTHORIZED, require

# Not `guarded_router`: its refusals are documented as JSON, not as the route's event stream.
router = APIRouter(
    tags=["stream"], route_class=DocumentedRoute, dependencies=[Depends(require("read"))]
)


def _refusal(description: str) -> dict[str, Any]:
    # Refusals are JSON; `"model"` would document them as the route's text/event-stream.
    schema = {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The events as they happen; `error` ends the stream."},
    **{status: _refusal(answer["description"]) for status, answer in UNAUTHORIZED.items()},
    404: _refusal("Unknown run (and not `wait=true`)."),
    422: _refusal("A parameter, or `Last-Event-ID`, is not valid."),
    503: _refusal("A store cannot be read."),
}

RunId = Annotated[
    str | None,
    Query(min_length=1, max_length=256, description="The run to follow; without it, every run."),
]
Wait = Annotated[bool, Query(description="Follow a run that has no events yet (else it is a 404).")]
LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=64,
        description="The `id` of the last event received: resume after it.",
    ),
]

Feed = RunFeed | RunsFeed


async def opened_feed(
    stores: StoresDep,
    run_id: RunId = None,
    wait: Wait = False,
    last_event_id: LastEventId = None,
) -> tuple[Feed, list[ServerSentEvent]]:
    """The feed and its first events, read before the response starts."""
    if run_id is None:
        runs = RunsFeed(stores)
        return runs, await runs.open(last_event_id)
    run = RunFeed(stores, run_id)
    return run, await run.open(last_event_id, wait=wait)


Opened = Annotated[tuple[Feed, list[ServerSentEvent]], Depends(opened_feed)]


@router.get("/api/v1/stream", response_class=EventSourceResponse, responses=_RESPONSES)
async def stream(opened: Opened, settings: SettingsDep) -> AsyncIterable[ServerSentEvent]:
    """Live changes of a run's projections (or every run's), as Server-Sent Events.

    Events: `snapshot` first (unless resuming), then `ingested`, `projected`, `analyzed`
    and `halted` as the run's log, projections, analytics or halt move; `error` ends it.
    """
    feed, first = opened
    for event in first:
        yield event
    last_sent = time.monotonic()
    while await _pause(settings.stream_poll_seconds):
        try:
            events = await feed.tick()
        except StoreUnavailable as exc:
            yield _error(exc)
            return
        for event in events:
            yield event
        if events:
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= settings.stream_heartbeat_seconds:
            yield ServerSentEvent(comment="ping")
            last_sent = time.monotonic()


def _error(exc: StoreUnavailable) -> ServerSentEvent:
    """The stream's last event: why it ends, and when to reconnect (with `Last-Event-ID`)."""
    detail = ErrorDetail(code=exc.code, message=str(exc)).model_dump(exclude_none=True)
    return ServerSentEvent(event="error", data=detail, retry=RETRY_AFTER_SECONDS * 1000)


_EXIT_CHECK_SECONDS = 0.25


async def _pause(seconds: float) -> bool:
    """Sleep `seconds`; False as soon as the server is exiting (the stream should end)."""
    deadline = time.monotonic() + seconds
    while not _server_exiting():
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        await anyio.sleep(min(left, _EXIT_CHECK_SECONDS))
    return False


def _server_exiting() -> bool:
    """Whether the uvicorn server of this process has been asked to exit: uvicorn installs
    its `Server.handle_exit` as the SIGTERM/SIGINT handler and sets `should_exit` there.
    Read-only; under another server this is never true and streams end with their clients."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return getattr(server, "should_exit", False) is True
