"""`GET /api/v1/stream` over real HTTP (a real uvicorn server), reading a real log and
projection store that the real runner moves, on SQLite and PostgreSQL: what each stream
tells, resuming from `Last-Event-ID`, refusals before the stream starts, a store failing
mid-stream, heartbeats, and a stream ending when its client leaves or the server stops."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from read_api.app import create_app
from read_api.dependencies import get_stores
from read_api.settings import ReadSettings
from read_api.status import StatusStores
from tests.credentials import key_headers
from tests.fixtures.sessions import ANALYTICS_RUN, analytics_session
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.integration.sse_client import Sse, served, streaming

RUN = ANALYTICS_RUN
SESSION = analytics_session()
RUN_LAST = max(i for i, e in enumerate(SESSION, start=1) if e.get("run_id") == RUN)
CATALOG_LAST = max(i for i, e in enumerate(SESSION, start=1) if e.get("run_id") is None)
OTHER = "b-other-run"


@dataclass
class Served:
    env: ProjectionEnv
    client: httpx.AsyncClient
    server: uvicorn.Server


@asynccontextmanager
async def read_server(
    env: ProjectionEnv, tmp_path: Path, heartbeat_s: float = 15.0
) -> AsyncIterator[Served]:
    settings = ReadSettings(
        data_dir=tmp_path, stream_poll_seconds=0.05, stream_heartbeat_seconds=heartbeat_s
    )
    headers = await key_headers(settings, "read")
    app = create_app(settings)
    stores = StatusStores(log=env.feed.engine, projections=env.store.reader)
    app.dependency_overrides[get_stores] = lambda: stores
    async with (
        served(app) as (url, server),
        httpx.AsyncClient(base_url=url, timeout=10, headers=headers) as client,
    ):
        yield Served(env, client, server)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    async with (
        projection_env(request.param, tmp_path, batch_size=10) as env,
        read_server(env, tmp_path) as served_api,
    ):
        yield served_api


@pytest.fixture
async def sqlite_api(tmp_path: Path) -> AsyncIterator[Served]:
    async with projection_env("sqlite", tmp_path) as env, read_server(env, tmp_path) as api:
        yield api


def positions(event: Sse) -> tuple[int, int, int]:
    data = event.data
    return data["log_position"], data["position"], data["analytics_position"]


def told(events: list[Sse]) -> list[tuple[str | None, str | None]]:
    """(kind, run id) of each event."""
    return [(e.event, e.data.get("run_id")) for e in events]


async def test_a_runs_stream_tells_its_ingestion_then_projection_then_analytics(
    api: Served,
) -> None:
    async with streaming(api.client, "/api/v1/stream", run_id=RUN, wait="true") as stream:
        snapshot = await stream.next()
        assert (snapshot.event, snapshot.id, snapshot.data["run_id"]) == (
            "snapshot",
            "0.0.0.0",
            RUN,
        )
        assert positions(snapshot) == (0, 0, 0)

        await api.env.append(SESSION)
        ingested = await stream.next()
        assert (ingested.event, ingested.id) == ("ingested", f"{RUN_LAST}.0.0.0")
        assert positions(ingested) == (RUN_LAST, 0, 0)
        await api.env.catch_up_all()  # in batches of 10: the stream may see some of them
        events = await stream.until("analyzed", RUN, analytics_position=RUN_LAST)

    projected = [e.data["position"] for e in events if e.event == "projected"]
    assert projected == sorted(projected)
    assert projected[-1] == RUN_LAST
    assert [e.event for e in events][-2:] == ["projected", "analyzed"]
    assert [(e.id, positions(e)) for e in events[-2:]] == [
        (f"{RUN_LAST}.{RUN_LAST}.0.0", (RUN_LAST, RUN_LAST, 0)),
        (f"{RUN_LAST}.{RUN_LAST}.{RUN_LAST}.0", (RUN_LAST, RUN_LAST, RUN_LAST)),
    ]
    assert events[-1].data["halted"] is None


async def test_resuming_a_runs_stream_tells_only_what_changed_after_the_last_id(
    api: Served,
) -> None:
    async with streaming(api.client, "/api/v1/stream", run_id=RUN, wait="true") as stream:
        await stream.next()
        await api.env.append(SESSION)
        last_id = (await stream.next()).id
    assert last_id is not None
    await api.env.catch_up_all()

    resumed = {"Last-Event-ID": last_id}
    async with streaming(api.client, "/api/v1/stream", resumed, run_id=RUN) as stream:
        first, second = await stream.next(), await stream.next()
    assert [(first.event, first.id), (second.event, second.id)] == [
        ("projected", f"{RUN_LAST}.{RUN_LAST}.0.0"),
        ("analyzed", f"{RUN_LAST}.{RUN_LAST}.{RUN_LAST}.0"),
    ]


async def test_the_stream_of_every_run_tells_each_run_and_the_catalog(api: Served) -> None:
    await api.env.append(SESSION[:3])  # the catalog's first events, not projected yet
    async with streaming(api.client, "/api/v1/stream") as stream:
        snapshot = await stream.next()
        assert snapshot.event == "snapshot"
        assert snapshot.data["log_position"] == 3
        assert [(p["run_id"], p["log_position"]) for p in snapshot.data["behind"]] == [(None, 3)]

        await api.env.append(SESSION[3:])
        await api.env.append(analytics_session(OTHER)[3:])
        events = await stream.collect({("ingested", RUN), ("ingested", OTHER)})
        assert ("ingested", None) not in told(events)  # the catalog has nothing new
        await api.env.catch_up_all()
        events += await stream.collect(
            {("projected", None), ("analyzed", None), ("analyzed", RUN), ("analyzed", OTHER)}
        )
    head = len(SESSION) * 2 - 3
    for event in events:  # RUN's ingested then projected then analysed; OTHER's alike
        assert event.data["log_position"] <= head
    ids = [tuple(map(int, e.id.split("."))) for e in events if e.id]
    assert all(low <= at <= head for at, low in ids)  # the log head, then the low-water mark


async def test_resuming_every_runs_stream_tells_what_moved_while_away(api: Served) -> None:
    async with streaming(api.client, "/api/v1/stream") as stream:
        await stream.next()
        await api.env.append(SESSION)
        events = await stream.collect({("ingested", RUN), ("ingested", None)})
        last_id = [e.id for e in events if e.id][-1]  # a tick's last event carries it
    await api.env.catch_up_all()  # projected and analysed while the client is away

    resumed = {"Last-Event-ID": last_id}
    async with streaming(api.client, "/api/v1/stream", resumed) as stream:
        events = await stream.collect({("analyzed", RUN)})
    assert ("snapshot", None) not in [(e.event, None) for e in events]
    assert ("projected", RUN) in told(events)
    assert ("ingested", RUN) not in told(events)  # it had that one


async def test_a_halt_is_told_with_its_position_and_error(sqlite_api: Served) -> None:
    env = sqlite_api.env
    await env.append(SESSION)
    await env.catch_up_all()
    async with streaming(sqlite_api.client, "/api/v1/stream", run_id=RUN) as stream:
        await stream.next()
        async with env.store.writer.begin() as conn:
            await env.store.halt(conn, RUN, RUN_LAST, "e-last", "cannot apply: boom")
        halted = await stream.next()
    assert halted.event == "halted"
    assert halted.data["halted"] == {
        "position": RUN_LAST,
        "event_id": "e-last",
        "error": "cannot apply: boom",
    }
    assert halted.id == f"{RUN_LAST}.{RUN_LAST}.{RUN_LAST}.{RUN_LAST}"


async def test_a_store_failing_mid_stream_ends_the_stream_with_an_error_event(
    api: Served,
) -> None:
    await api.env.append(SESSION)
    async with streaming(api.client, "/api/v1/stream", run_id=RUN) as stream:
        await stream.next()
        async with api.env.store.writer.begin() as conn:
            await conn.execute(text("DROP TABLE checkpoints"))
        error = await stream.next()
        assert (error.event, error.data["code"], error.retry) == (
            "error",
            "store_unavailable",
            1000,
        )
        with pytest.raises(StopAsyncIteration):
            await stream.next()


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"run_id": "no-such-run"}, {}, 404),
        ({"run_id": ""}, {}, 422),
        ({"run_id": RUN, "wait": "maybe"}, {}, 422),
        ({"run_id": RUN}, {"Last-Event-ID": "12.3"}, 422),  # every run's id, not a run's
        ({}, {"Last-Event-ID": "not-an-id"}, 422),
        ({}, {"Last-Event-ID": "1" * 65}, 422),
    ],
)
async def test_what_cannot_be_streamed_is_refused_before_the_stream_starts(
    sqlite_api: Served, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    await sqlite_api.env.append(SESSION)
    response = await sqlite_api.client.get("/api/v1/stream", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"


async def test_stores_that_cannot_be_read_at_connect_are_a_503(tmp_path: Path) -> None:
    settings = ReadSettings(data_dir=tmp_path)
    headers = await key_headers(settings, "read")  # the log's tables; no projection store
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://read", headers=headers
        ) as client:
            response = await client.get("/api/v1/stream")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"


async def test_an_idle_stream_gets_heartbeat_comments(tmp_path: Path) -> None:
    async with (
        projection_env("sqlite", tmp_path) as env,
        read_server(env, tmp_path, heartbeat_s=0.2) as api,
        streaming(api.client, "/api/v1/stream") as stream,
    ):
        await stream.next()
        started = time.monotonic()
        ping = await stream.next(comments=True)
        assert (ping.comment, ping.event) == ("ping", None)
        assert time.monotonic() - started >= 0.15


async def test_a_client_that_leaves_ends_its_stream_on_the_server(sqlite_api: Served) -> None:
    async with streaming(sqlite_api.client, "/api/v1/stream") as stream:
        await stream.next()
        assert sqlite_api.server.server_state.tasks  # the stream's request is being served
    await until(lambda: not sqlite_api.server.server_state.tasks)


async def test_the_server_stops_promptly_with_streams_open(sqlite_api: Served) -> None:
    async with (
        streaming(sqlite_api.client, "/api/v1/stream") as every_run,
        streaming(sqlite_api.client, "/api/v1/stream", run_id="later", wait="true") as one_run,
    ):
        await every_run.next()
        await one_run.next()
        started = time.monotonic()
        sqlite_api.server.should_exit = True
        for stream in (every_run, one_run):
            with pytest.raises(StopAsyncIteration):  # ended by the server, cleanly
                await stream.next()
        await until(lambda: not sqlite_api.server.server_state.connections)
        assert time.monotonic() - started < 2.0


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within the timeout"
        await asyncio.sleep(0.02)
