"""The analytics routes over real HTTP (httpx over the ASGI app, its lifespan run), reading
what the real runner projected from a real log, on SQLite and PostgreSQL. The figures are
those worked by hand in test_run_analytics.py.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.sessions import (
    ANALYTICS_INSTANCE,
    ANALYTICS_RUN,
    ANALYTICS_STRATEGY,
    analytics_session,
)
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over
from tests.integration.test_run_analytics import analyzed

RUN = ANALYTICS_RUN
OTHER_RUN = "b-second-run"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    """Both runs projected; the read app reads the projection store the runner wrote."""
    async with projection_env(request.param, tmp_path, batch_size=10) as env:
        await analyzed(env, [*analytics_session(), *analytics_session(OTHER_RUN)[3:20]])
        async with read_api_over(env, tmp_path) as api:
            yield api


async def test_trades_route_serves_the_stored_trades_field_by_field(api: Api) -> None:
    page = await api.get(f"/api/v1/runs/{RUN}/trades")
    stored = {row["trade_id"]: row for row in await api.env.rows("trades")}
    assert page["next_cursor"] is None
    assert [item["cycle"] for item in page["items"]] == [1, 2, 3]  # by exit time
    for item in page["items"]:
        row = stored[item["trade_id"]]
        for field, value in item.items():
            expected = (
                row[field].isoformat().replace("+00:00", "Z")
                if field.endswith("utc")
                else row[field]
            )
            assert value == expected, field
    first = page["items"][0]
    assert (first["pnl_net"], first["mfe"], first["mae"], first["exit_reason"]) == (
        965.0,
        975.0,
        125.0,
        "TP",
    )


async def test_the_dashboards_path_keeps_their_field_names(api: Api) -> None:
    page = await api.get(f"/api/runs/{RUN}/trades")
    short = page["items"][1]
    wanted = {
        "side": "SHORT",
        "entry_time": "2025-03-03T14:20:00Z",
        "exit_time": "2025-03-03T14:30:00Z",
        "entry_price": 5712.0,
        "exit_price": 5706.0,
        "quantity": 1.0,
        "pnl_net": 295.0,
        "mae": 100.0,
        "mfe": 350.0,
        "duration_seconds": 600.0,
        "regime_trend": None,
        "regime_volatility": None,
    }
    assert {field: short[field] for field in wanted} == wanted
    assert short["trade_id"]


@pytest.mark.parametrize(
    ("limit", "filters", "cycles"), [(1, {}, [1, 2, 3]), (2, {"side": "LONG"}, [1, 3])]
)
async def test_pagination_walks_every_trade_once(
    api: Api, limit: int, filters: dict[str, str], cycles: list[int]
) -> None:
    seen: list[int] = []
    pages = 0
    params: dict[str, Any] = {"limit": limit, **filters}
    while True:
        page = await api.get(f"/api/v1/runs/{RUN}/trades", **params)
        seen += [item["cycle"] for item in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == cycles
    assert pages == -(-len(cycles) // limit)


async def test_matches_route_lists_a_trades_fifo_view(api: Api) -> None:
    first = (await api.get(f"/api/v1/runs/{RUN}/trades", limit=1))["items"][0]
    page = await api.get(f"/api/v1/runs/{RUN}/trades/{first['trade_id']}/matches", limit=1)
    assert [m["entry_execution_id"] for m in page["items"]] == ["X1"]
    rest = await api.get(
        f"/api/v1/runs/{RUN}/trades/{first['trade_id']}/matches", cursor=page["next_cursor"]
    )
    assert [(m["entry_execution_id"], m["pnl_net"]) for m in rest["items"]] == [("X2", 470.0)]
    assert rest["next_cursor"] is None


async def test_open_positions_route_serves_the_marked_position(api: Api) -> None:
    body = await api.get(f"/api/v1/runs/{RUN}/open-positions")
    (position,) = body["items"]
    assert (position["symbol"], position["quantity"], position["mark_price"]) == (
        "AAPL",
        100.0,
        181.0,
    )
    assert (position["unrealized_pnl"], position["pnl_net"]) == (100.0, 99.0)


async def test_equity_route_pages_through_the_curve(api: Api) -> None:
    first = await api.get(f"/api/v1/runs/{RUN}/equity", limit=10)
    rest = await api.get(f"/api/v1/runs/{RUN}/equity", limit=10, cursor=first["next_cursor"])
    points = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert (first["initial_balance"], first["start_utc"]) == (100000.0, "2025-03-03T14:00:00Z")
    assert [p["seq"] for p in points] == list(range(13))
    assert (points[9]["equity"], points[9]["drawdown"]) == (100625.0, 830.0)
    assert points[-1]["equity"] == 100724.0


async def test_metrics_route_serves_the_run_metrics(api: Api) -> None:
    body = await api.get(f"/api/v1/runs/{RUN}/metrics")
    assert (body["run_id"], body["instance_id"], body["strategy_id"]) == (
        RUN,
        ANALYTICS_INSTANCE,
        ANALYTICS_STRATEGY,
    )
    assert (body["net_pnl"], body["total_pnl"], body["trades"], body["max_drawdown"]) == (
        625.0,
        724.0,
        3,
        830.0,
    )
    metrics = body["metrics"]
    assert metrics["trades"]["profit_factor"] == pytest.approx(1260 / 635)
    assert metrics["execution"]["canceled_orders"] == 2
    assert metrics["returns"]["end_equity"] == 100724.0


async def test_compare_answers_one_metrics_object_per_run_in_the_order_asked(api: Api) -> None:
    response = await api.client.post("/api/metrics/compare", json={"run_ids": [OTHER_RUN, RUN]})
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert (first["run_id"], second["run_id"]) == (OTHER_RUN, RUN)
    assert first["trades"] == 0  # its first 17 events: the first bars and no fill yet
    assert second["net_pnl"] == 625.0


async def test_instance_and_strategy_metrics_hold_both_runs(api: Api) -> None:
    instance = await api.get(f"/api/v1/instances/{ANALYTICS_INSTANCE}/metrics")
    strategy = await api.get(f"/api/v1/strategies/{ANALYTICS_STRATEGY}/metrics")
    for body in (instance, strategy):
        assert (body["runs"], body["net_pnl"], body["metrics"]["runs"]) == (2, 625.0, 2)


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/{run}/trades",
        "/api/v1/runs/{run}/trades",
        "/api/v1/runs/{run}/trades/t-1/matches",
        "/api/v1/runs/{run}/open-positions",
        "/api/v1/runs/{run}/metrics",
        "/api/v1/runs/{run}/equity",
        "/api/v1/instances/{run}/metrics",
        "/api/v1/strategies/{run}/metrics",
    ],
)
async def test_unknown_ids_are_404_with_a_message_naming_them(api: Api, path: str) -> None:
    response = await api.client.get(path.format(run="no-such-run"))
    assert response.status_code == 404
    assert "no-such-run" in response.json()["error"]["message"]


async def test_compare_names_every_unknown_run(api: Api) -> None:
    response = await api.client.post("/api/metrics/compare", json={"run_ids": [RUN, "x", "y"]})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "unknown runs: 'x', 'y'"


async def test_an_unknown_trade_of_a_known_run_is_404(api: Api) -> None:
    response = await api.client.get(f"/api/v1/runs/{RUN}/trades/no-trade/matches")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/runs/{run}/trades", {"limit": 0}),
        ("/api/v1/runs/{run}/trades", {"limit": 1001}),
        ("/api/v1/runs/{run}/trades", {"side": "UP"}),
        ("/api/v1/runs/{run}/trades", {"outcome": "MAYBE"}),
        ("/api/runs/{run}/trades", {"cursor": "not-a-cursor!"}),
        ("/api/v1/runs/{run}/trades", {"cursor": "WzEsMl0"}),  # [1,2]: not (time, id)
        ("/api/v1/runs/{run}/trades", {"cursor": "WyJub3QgYSB0aW1lIiwiaWQiXQ"}),  # not a time
        (
            "/api/v1/runs/{run}/trades",
            {"cursor": "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwiaWQiXQ"},
        ),  # naive
        # ["0001-01-01T00:00:00+01:00", "id"]: before the first UTC time there is
        ("/api/v1/runs/{run}/trades", {"cursor": "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAxOjAwIiwiaWQiXQ"}),
        ("/api/v1/runs/{run}/equity", {"cursor": "WyJhIl0"}),  # ["a"]: not a seq
        ("/api/v1/runs/{run}/equity", {"limit": "ten"}),
    ],
)
async def test_bad_parameters_are_422(api: Api, path: str, params: dict[str, Any]) -> None:
    response = await api.client.get(path.format(run=RUN), params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("body", [{"run_ids": []}, {"run_ids": "r"}, {}, [RUN]])
async def test_a_bad_compare_body_is_422(api: Api, body: Any) -> None:
    response = await api.client.post("/api/metrics/compare", json=body)
    assert response.status_code == 422, response.text


async def test_a_known_run_without_analytics_has_no_trades_and_null_metrics(api: Api) -> None:
    await analyzed(
        api.env, [{"type": "run.heartbeat", "run_id": "idle", "ts_utc": "2025-03-03T14:00:00Z"}]
    )
    assert (await api.get("/api/v1/runs/idle/trades"))["items"] == []
    body = await api.get("/api/v1/runs/idle/metrics")
    assert (body["computed_position"], body["metrics"], body["net_pnl"]) == (None, None, None)
