"""`GET /api/status` and `GET /metrics` over real stores, through the read app's HTTP interface.

A real log and projection store (SQLite files; PostgreSQL schemas where marked) are filled by
the real runner; the read app is started through its lifespan and asked over HTTP. Its clock
is pinned so that lag in seconds can be checked exactly against the log's received times.
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from sqlalchemy import select, update

from ingest_api.log_store import open_event_log
from projector.log_feed import LogFeed
from projector.runner import Runner
from projector.store import ProjectionStore
from read_api.app import create_app
from read_api.settings import ReadSettings
from schema.doorbell import COUNTERS, STATS_KEY
from schema.storage import make_engine
from schema.tables import ingest_events
from tests.conftest import fresh_pg_schema
from tests.credentials import key_headers
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.integration.worker_env import dedicated_redis_db

SESSION_EVENTS = len(bracket_session())  # 2 catalog events, the rest of run RUN
Metrics = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class PinnedClock:
    """The read app's clock, set by the test."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class StatusEnv:
    stores: ProjectionEnv
    settings: ReadSettings
    clock: PinnedClock

    @asynccontextmanager
    async def client(self, **app_options: Any) -> AsyncIterator[httpx.AsyncClient]:
        """The read app over these stores, started through its lifespan."""
        headers = await key_headers(self.settings, "read")
        app = create_app(self.settings, clock=self.clock, **app_options)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://read", headers=headers
            ) as client:
                yield client

    async def status(self, **app_options: Any) -> dict[str, Any]:
        async with self.client(**app_options) as client:
            response = await client.get("/api/status")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def metrics(self, **app_options: Any) -> Metrics:
        async with self.client(**app_options) as client:
            response = await client.get("/metrics")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    async def received_utc(self, position: int) -> datetime:
        query = select(ingest_events.c.received_utc).where(ingest_events.c.position == position)
        async with self.stores.feed.engine.connect() as conn:
            value: datetime = (await conn.execute(query)).scalar_one()
        return value


@asynccontextmanager
async def postgres_env(data_dir: Path) -> AsyncIterator[tuple[ProjectionEnv, ReadSettings]]:
    """projection_env on PostgreSQL, with the schemas the read app must be pointed at."""
    async with AsyncExitStack() as stack:
        log_at = await stack.enter_async_context(fresh_pg_schema())
        store_at = await stack.enter_async_context(fresh_pg_schema())
        assert log_at.pg_schema
        assert store_at.pg_schema
        log = await open_event_log(log_at.url, pg_schema=log_at.pg_schema)
        stack.push_async_callback(log.close)
        store = await ProjectionStore.open(store_at.url, pg_schema=store_at.pg_schema)
        stack.push_async_callback(store.close)
        engine = make_engine(log_at.url, role="reader", pg_schema=log_at.pg_schema)
        stack.push_async_callback(engine.dispose)
        feed = LogFeed(engine)
        settings = ReadSettings(
            data_dir=data_dir,  # the secret's
            log_url=log_at.url,
            projection_url=store_at.url,
            log_pg_schema=log_at.pg_schema,
            projection_pg_schema=store_at.pg_schema,
        )
        yield ProjectionEnv(log, store, feed, Runner(feed, store, batch_size=4)), settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StatusEnv]:
    if request.param == "sqlite":
        async with projection_env("sqlite", tmp_path, batch_size=4) as stores:
            # projection_env's file names are the data directory's defaults.
            yield StatusEnv(stores, ReadSettings(data_dir=tmp_path), PinnedClock())
        return
    async with postgres_env(tmp_path) as (stores, settings):
        yield StatusEnv(stores, settings, PinnedClock())


def partitions_of(status: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["partition"]: p for p in status["partitions"]}


async def test_after_catch_up_status_shows_the_head_and_no_lag(env: StatusEnv) -> None:
    await env.stores.append(bracket_session())
    await env.stores.catch_up_all()

    status = await env.status()

    assert status["log_head_position"] == SESSION_EVENTS
    partitions = partitions_of(status)
    assert sorted(partitions) == sorted(["catalog", RUN])
    for partition in partitions.values():
        assert partition["position"] == partition["known_position"]
        assert (partition["lag_events"], partition["lag_seconds"], partition["halted"]) == (
            0,
            0.0,
            None,
        )
    assert partitions[RUN]["applied_events"] == SESSION_EVENTS - 2
    assert status["halted"] == []
    assert status["totals"] == {
        "partitions": 2,
        "halted": 0,
        "lag_events": 0,
        "max_lag_events": 0,
        "max_lag_seconds": 0.0,
    }
    assert status["as_of_utc"] == "2030-01-01T00:00:00Z"


async def test_status_shows_the_lag_of_events_not_applied_yet(env: StatusEnv) -> None:
    session = bracket_session()
    await env.stores.append(session[:-3])
    await env.stores.catch_up_all()
    await env.stores.append(session[-3:])  # applied by nobody yet
    await env.stores.append(bracket_session("new-run")[2:5])  # a run no projector has seen
    oldest = await env.received_utc(SESSION_EVENTS - 2)
    env.clock.now = oldest + timedelta(seconds=42.5)

    status = await env.status()

    assert status["log_head_position"] == SESSION_EVENTS + 3
    partitions = partitions_of(status)
    behind = partitions[RUN]
    assert (behind["position"], behind["lag_events"]) == (SESSION_EVENTS - 3, 3)
    assert behind["lag_seconds"] == pytest.approx(42.5, abs=1e-6)
    unseen = partitions["new-run"]
    assert (unseen["position"], unseen["lag_events"], unseen["updated_utc"]) == (0, 3, None)
    assert partitions["catalog"]["lag_events"] == 0
    assert status["totals"]["lag_events"] == 6
    assert status["totals"]["max_lag_events"] == 3
    assert status["totals"]["max_lag_seconds"] == pytest.approx(42.5, abs=1e-3)

    await env.stores.catch_up_all()
    caught_up = await env.status()
    assert caught_up["totals"]["lag_events"] == 0
    assert caught_up["totals"]["max_lag_seconds"] == 0.0


async def test_only_partitions_behind_are_listed_when_asked(env: StatusEnv) -> None:
    await env.stores.append(bracket_session())
    await env.stores.catch_up_all()
    await env.stores.append(bracket_session("new-run")[2:4])
    async with env.client() as client:
        response = await client.get("/api/status", params={"behind": "true"})
    status = response.json()
    assert [p["partition"] for p in status["partitions"]] == ["new-run"]
    assert status["totals"]["partitions"] == 3


async def poison_run(env: StatusEnv) -> int:
    """The bracket session with its first fill corrupted in the log (as a broken writer
    might), caught up: RUN halts there; returns the poisoned position."""
    await env.stores.append(bracket_session())
    poisoned = 7  # T-1
    async with env.stores.log._writer.begin() as conn:
        await conn.execute(
            update(ingest_events)
            .where(ingest_events.c.position == poisoned)
            .values(payload='{"type": "execution.recorded", "version": 1}')
        )
    await env.stores.catch_up_all()
    return poisoned


async def test_a_halted_partition_shows_its_event_and_error_in_status(env: StatusEnv) -> None:
    poisoned = await poison_run(env)

    status = await env.status()

    (halted,) = status["halted"]
    assert (halted["partition"], halted["position"]) == (RUN, poisoned)
    assert halted["event_id"]
    assert "cannot decode" in halted["error"]
    run = partitions_of(status)[RUN]
    assert run["halted"] == halted
    assert (run["position"], run["lag_events"]) == (poisoned - 1, SESSION_EVENTS - poisoned + 1)
    assert status["totals"]["halted"] == 1


async def test_metrics_carry_the_status_figures_in_prometheus_text(env: StatusEnv) -> None:
    poisoned = await poison_run(env)
    status = await env.status()

    metrics = await env.metrics()

    assert metrics[("stratlog_log_head_position", ())] == SESSION_EVENTS
    for partition in status["partitions"]:
        label = (("partition", partition["partition"]),)
        assert metrics[("stratlog_partition_checkpoint_position", label)] == partition["position"]
        assert metrics[("stratlog_partition_lag_events", label)] == partition["lag_events"]
        assert metrics[("stratlog_partition_lag_seconds", label)] == partition["lag_seconds"]
    assert metrics[("stratlog_partition_halted", (("partition", RUN),))] == 1
    assert metrics[("stratlog_partition_halted", (("partition", "catalog"),))] == 0
    assert metrics[("stratlog_partition_checkpoint_position", (("partition", RUN),))] == (
        poisoned - 1
    )
    for counter in COUNTERS:
        assert metrics[("stratlog_doorbell_total", (("counter", counter),))] == 0
    assert metrics[("stratlog_doorbell_readable", ())] == 1


async def test_injected_doorbell_counters_are_reported_with_every_name(env: StatusEnv) -> None:
    async def counters() -> Mapping[str, int]:
        return {"rung": 7, "jobs": 3}

    status = await env.status(doorbell_counters=counters)
    assert status["doorbell"] == {name: 0 for name in COUNTERS} | {"rung": 7, "jobs": 3}
    metrics = await env.metrics(doorbell_counters=counters)
    assert metrics[("stratlog_doorbell_total", (("counter", "rung"),))] == 7


async def test_doorbell_counters_are_read_from_the_redis_hash(env: StatusEnv) -> None:
    async with dedicated_redis_db() as url:
        redis = Redis.from_url(url)
        try:
            await redis.hset(STATS_KEY, mapping={"rung": 12, "coalesced": 5, "sweeps": 2})
            env.settings = env.settings.model_copy(update={"redis_url": url})
            status = await env.status()
        finally:
            await redis.aclose()
    assert status["doorbell"] == {name: 0 for name in COUNTERS} | {
        "rung": 12,
        "coalesced": 5,
        "sweeps": 2,
    }


async def test_an_unreachable_redis_leaves_the_counters_null_not_an_error(env: StatusEnv) -> None:
    await env.stores.append(bracket_session()[:3])
    # Nothing listens on port 1; the connection is refused at once.
    env.settings = env.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})

    status = await env.status()
    metrics = await env.metrics()

    assert status["doorbell"] is None
    assert status["log_head_position"] == 3
    assert metrics[("stratlog_doorbell_readable", ())] == 0
    assert not any(name == "stratlog_doorbell_total" for name, _ in metrics)


@pytest.mark.parametrize(
    "unreachable",
    [
        {"log_url": "sqlite+aiosqlite:////nonexistent-dir/log.sqlite3"},
        {"projection_url": "sqlite+aiosqlite:////nonexistent-dir/projections.sqlite3"},
        pytest.param(
            {"log_url": "postgresql+asyncpg://postgres@127.0.0.1:1/test"},
            marks=pytest.mark.postgres,
        ),
    ],
    ids=["sqlite-log", "sqlite-projections", "postgres-log"],
)
@pytest.mark.parametrize("path", ["/api/status", "/metrics"])
async def test_an_unreachable_store_answers_503_with_retry_after(
    tmp_path: Path, unreachable: dict[str, str], path: str
) -> None:
    # A key of the data directory's log: an unreachable log cannot even check it (503 too).
    headers = await key_headers(ReadSettings(data_dir=tmp_path), "read")
    app = create_app(ReadSettings.model_validate({"data_dir": tmp_path, **unreachable}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://read", headers=headers
        ) as client:
            response = await client.get(path)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "store_unavailable"


@pytest.mark.parametrize("query", ["behind=maybe", "behind="])
async def test_a_malformed_query_is_refused_with_422(env: StatusEnv, query: str) -> None:
    async with env.client() as client:
        response = await client.get(f"/api/status?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_each_status_route_is_summarised_by_its_docstring() -> None:
    paths = create_app(ReadSettings()).openapi()["paths"]
    assert paths["/api/status"]["get"]["summary"].startswith("Projection progress")
    assert paths["/metrics"]["get"]["summary"].startswith("The projection status as Prometheus")
