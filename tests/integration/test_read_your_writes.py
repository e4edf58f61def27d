"""Read-your-writes over real HTTP on real stores: every answer's `X-Projection-Position`
header, and `min_position` waiting for the projector (or answering 409 in time)."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from read_api.settings import ReadSettings
from schema.tables.projections import checkpoints
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.integration.read_env import Api, read_api_over

SECOND_RUN = "6c2a3d0f-9b2e-4d66-8b4a-1e7f4f3c8b21"
HEADER = "x-projection-position"
SOME_PATHS = [
    f"/api/v1/runs/{RUN}",
    f"/api/v1/runs/{RUN}/orders",
    f"/api/runs/{RUN}/trades",
    f"/api/v1/runs/{RUN}/metrics",
    f"/api/bars/?run_id={RUN}&symbol=ESM5",
    "/api/v1/runs",
    "/api/strategies/",
    "/api/v1/orphans",
    "/api/v1/quarantine",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProjectionEnv]:
    async with projection_env(request.param, tmp_path) as env:
        await env.append(bracket_session())
        await env.catch_up_all()
        yield env


async def _position(api: Api, path: str) -> int:
    response = await api.client.get(path)
    assert response.status_code == 200, response.text
    return int(response.headers[HEADER])


async def test_every_answer_carries_the_position_it_reflects(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    head = await env.feed.head()
    async with read_api_over(env, tmp_path) as api:
        for path in SOME_PATHS:
            assert await _position(api, path) == head, path


async def test_a_run_reflects_the_log_up_to_its_first_event_not_applied_yet(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    caught_up = await env.feed.head()
    await env.append(bracket_session(SECOND_RUN)[2:])  # not projected, not even discovered
    head = await env.feed.head()
    async with read_api_over(env, tmp_path) as api:
        # RUN has nothing pending: it reflects the whole log, the store as a whole does not.
        assert await _position(api, f"/api/v1/runs/{RUN}") == head
        assert await _position(api, "/api/v1/runs") == caught_up
        await env.runner.discover()  # known to the projector now, still not applied
        assert await _position(api, "/api/v1/runs") == caught_up
        assert await _position(api, f"/api/v1/runs/{RUN}/executions") == head
        await env.catch_up_all()
        assert await _position(api, "/api/v1/runs") == head
        assert await _position(api, f"/api/v1/runs/{SECOND_RUN}") == head


async def test_trades_and_metrics_reflect_the_analytics_position(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    head = await env.feed.head()
    async with env.store.writer.begin() as conn:  # as if the analytics were due since 3
        await conn.execute(
            update(checkpoints).where(checkpoints.c.partition == RUN).values(analytics_position=3)
        )
    async with read_api_over(env, tmp_path) as api:
        assert await _position(api, f"/api/v1/runs/{RUN}/trades") == 3
        assert await _position(api, f"/api/v1/runs/{RUN}/metrics") == 3
        assert await _position(api, f"/api/v1/runs/{RUN}") == 3  # its headline metrics
        assert await _position(api, f"/api/v1/runs/{RUN}/orders") == head


async def test_the_catalogue_reflects_the_catalog_partition(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    caught_up = await env.feed.head()
    await env.append([{"type": "strategy.registered", "strategy_id": "Later", "notes": "new"}])
    async with read_api_over(env, tmp_path) as api:
        assert await _position(api, "/api/v1/strategies") == caught_up
        assert await _position(api, f"/api/v1/runs/{RUN}") == caught_up + 1


async def test_min_position_waits_for_the_projector_then_answers_with_the_new_data(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    await env.append(bracket_session(SECOND_RUN)[2:])
    head = await env.feed.head()

    async def project_a_little_later() -> None:
        await asyncio.sleep(0.3)
        await env.catch_up_all()

    async with read_api_over(env, tmp_path) as api:
        projecting = asyncio.create_task(project_a_little_later())
        response = await api.client.get(f"/api/v1/runs/{SECOND_RUN}", params={"min_position": head})
        await projecting
    assert response.status_code == 200, response.text
    assert response.json()["run_id"] == SECOND_RUN
    assert int(response.headers[HEADER]) == head


async def test_min_position_not_reached_in_time_is_409_with_the_position_reached(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    head = await env.feed.head()
    settings = ReadSettings(data_dir=tmp_path, read_your_writes_timeout_seconds=0.2)
    async with read_api_over(env, tmp_path, settings=settings) as api:
        response = await api.client.get(f"/api/v1/runs/{RUN}", params={"min_position": head + 5})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "not_yet_projected",
        "message": f"the projections reflect the log up to position {head}, not yet {head + 5}; "
        "try again later",
        "position": head,
        "min_position": head + 5,
    }
    assert int(response.headers[HEADER]) == head


@pytest.mark.parametrize("value", ["-1", "soon", "9223372036854775808"])
async def test_a_malformed_min_position_is_422(
    env: ProjectionEnv, tmp_path: Path, value: str
) -> None:
    async with read_api_over(env, tmp_path) as api:
        response = await api.client.get(f"/api/v1/runs/{RUN}?min_position={value}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
