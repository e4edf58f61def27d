"""The runs list's filters and sort orders over real HTTP on real SQLite and PostgreSQL
stores: a run whose strategy is only its instance's, a running run on another symbol (and an
order on a third), and a run seen only through a fill (no start)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.sessions import bracket_session
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

ES_RUN = "10000000-0000-4000-8000-000000000001"
NQ_RUN = "20000000-0000-4000-8000-000000000002"
GHOST_RUN = "30000000-0000-4000-8000-000000000003"


def _nq_session() -> list[dict[str, Any]]:
    return [
        {"type": "strategy.registered", "strategy_id": "Breakout"},
        {"type": "instance.registered", "instance_id": "I-NQ", "strategy_id": "Breakout",
         "symbol": "NQM5"},
        {"type": "run.started", "run_id": NQ_RUN, "instance_id": "I-NQ", "run_type": "PAPER",
         "start_utc": "2025-03-04T10:00:00Z"},
        {"type": "order.submitted", "run_id": NQ_RUN, "order_id": "7", "symbol": "MNQM5",
         "side": "BUY", "order_type": "MARKET", "quantity": 1.0,
         "submit_utc": "2025-03-04T10:01:00Z"},
    ]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    async with projection_env(request.param, tmp_path) as env:
        ghost_fill = {"type": "execution.recorded", "run_id": GHOST_RUN, "execution_id": "G-1",
                      "order_id": "9", "exec_utc": "2025-03-03T14:30:00Z", "price": 1.0,
                      "quantity": 1.0}  # fmt: skip
        await env.append([*bracket_session(ES_RUN), *_nq_session(), ghost_fill])
        await env.catch_up_all()
        async with read_api_over(env, tmp_path) as api:
            yield api


async def _run_ids(api: Api, **params: Any) -> list[str]:
    return [run["run_id"] for run in await api.walk("/api/v1/runs", limit=1, **params)]


async def test_a_run_without_its_own_strategy_is_listed_under_its_instances(api: Api) -> None:
    assert await _run_ids(api, strategy_id="StackedImbalance") == [ES_RUN]
    assert await _run_ids(api, strategy_id="Breakout") == [NQ_RUN]
    run = await api.get(f"/api/v1/runs/{ES_RUN}")
    assert run["strategy_id"] == "StackedImbalance"


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [("ESM5", [ES_RUN]), ("NQM5", [NQ_RUN]), ("MNQM5", [NQ_RUN]), ("CLJ5", [])],
    ids=["instance-and-bars", "instance-only", "orders-only", "none"],
)
async def test_a_symbol_matches_the_runs_that_trade_it(
    api: Api, symbol: str, expected: list[str]
) -> None:
    assert await _run_ids(api, symbol=symbol) == expected


async def test_a_time_range_keeps_the_runs_active_in_it(api: Api) -> None:
    # ES ran 14:29-14:35 on the 3rd; NQ started on the 4th and is still running.
    assert await _run_ids(api, active_until="2025-03-03T23:59:00Z") == [ES_RUN]
    march_4th = await _run_ids(
        api, active_since="2025-03-04T00:00:00Z", active_until="2025-03-05T00:00:00Z"
    )
    assert march_4th == [NQ_RUN]
    assert await _run_ids(api, active_since="2025-03-03T14:34:00Z", run_type="LIVE") == [ES_RUN]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("run_id", [ES_RUN, NQ_RUN, GHOST_RUN]),
        ("start_utc", [GHOST_RUN, ES_RUN, NQ_RUN]),
        ("-start_utc", [NQ_RUN, ES_RUN, GHOST_RUN]),
    ],
)
async def test_pages_walk_every_run_once_in_the_order_asked(
    api: Api, sort: str, expected: list[str]
) -> None:
    assert await _run_ids(api, sort=sort) == expected


@pytest.mark.parametrize(
    "query",
    ["sort=newest", "active_since=2025-03-04T00:00:00", "active_until=yesterday", "symbol="],
)
async def test_a_bad_runs_query_is_422(api: Api, query: str) -> None:
    response = await api.client.get(f"/api/v1/runs?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


async def test_a_cursor_of_another_sort_order_is_422(api: Api) -> None:
    page = await api.get("/api/v1/runs", limit=1)
    response = await api.client.get(
        "/api/v1/runs", params={"sort": "start_utc", "cursor": page["next_cursor"]}
    )
    assert response.status_code == 422
