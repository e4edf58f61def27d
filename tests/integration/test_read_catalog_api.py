"""The catalogue and run routes (strategies, instances, runs, orders, executions, OCO groups,
bars) over real HTTP (httpx over the ASGI app, its lifespan run), reading what the real runner
projected from a real log on SQLite: the bracket session, a second run of its instance, an
instance of a strategy never registered and events of a run that never started."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

SECOND_RUN = "6c2a3d0f-9b2e-4d66-8b4a-1e7f4f3c8b21"
GHOST_RUN = "7d3b4e1a-0c3f-4e77-9c5b-2f8a5a4d9c32"
INSTANCE = "654EAF46109D0847CC9F7F01D7E47C43"
STRATEGY = "StackedImbalance"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with projection_env("sqlite", tmp_path) as env:
        ghost_fill = {"type": "execution.recorded", "run_id": GHOST_RUN, "execution_id": "G-1",
                      "order_id": "9", "exec_utc": "2025-03-03T14:30:00Z", "price": 1.0,
                      "quantity": 1.0}  # fmt: skip
        orphan_instance = {"type": "instance.registered", "instance_id": "I-ORPHAN",
                           "strategy_id": "Unregistered", "symbol": "NQM5"}  # fmt: skip
        await env.append(
            [*bracket_session(), *bracket_session(SECOND_RUN)[2:], ghost_fill, orphan_instance]
        )
        await env.catch_up_all()
        async with read_api_over(env, tmp_path) as api:
            yield api


def _z(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else value


async def test_strategies_and_instances_with_placeholders_flagged(api: Api) -> None:
    page = await api.get("/api/strategies/")
    by_id = {item["strategy_id"]: item for item in page["items"]}
    assert sorted(by_id) == [STRATEGY, "Unregistered"]
    assert (by_id[STRATEGY]["notes"], by_id[STRATEGY]["placeholder"]) == ("demo", False)
    assert by_id["Unregistered"]["placeholder"] is True
    assert (await api.get("/api/v1/strategies"))["items"] == page["items"]
    assert await api.get(f"/api/strategies/{STRATEGY}") == by_id[STRATEGY]

    instances = (await api.get(f"/api/strategies/{STRATEGY}/instances"))["items"]
    assert [i["instance_id"] for i in instances] == [INSTANCE]
    instance = instances[0]
    assert (instance["timeframe"], instance["timeframe_raw"]) == ("1m", "1 - Minute")
    assert instance["parameters_json"] == {"Symbol": "ESM5", "Timeframe": "1 - Minute"}
    assert (instance["account_id"], instance["placeholder"]) == ("SIM-101", False)
    filtered = await api.get("/api/v1/instances", strategy_id="Unregistered")
    assert [i["instance_id"] for i in filtered["items"]] == ["I-ORPHAN"]
    everything = await api.walk("/api/v1/instances", limit=1)
    assert [i["instance_id"] for i in everything] == sorted([INSTANCE, "I-ORPHAN"])
    walked = await api.walk("/api/v1/strategies", limit=1)
    assert [s["strategy_id"] for s in walked] == [STRATEGY, "Unregistered"]


async def test_runs_list_filters_and_pages_and_a_run_has_its_headline_metrics(api: Api) -> None:
    stored = {row["run_id"]: row for row in await api.env.rows("strategy_runs")}
    walked = await api.walk("/api/v1/runs", limit=1)
    assert [r["run_id"] for r in walked] == sorted([RUN, SECOND_RUN, GHOST_RUN])
    for item in walked:
        for field in ("instance_id", "run_type", "status", "start_utc", "placeholder"):
            assert item[field] == _z(stored[item["run_id"]][field]), field
    assert {r["run_id"]: r["placeholder"] for r in walked}[GHOST_RUN] is True

    by_instance = await api.get(f"/api/runs/instance/{INSTANCE}")
    assert [r["run_id"] for r in by_instance["items"]] == sorted([RUN, SECOND_RUN])
    filtered = await api.get("/api/v1/runs", instance_id=INSTANCE, run_type="LIVE")
    assert [r["run_id"] for r in filtered["items"]] == sorted([RUN, SECOND_RUN])
    assert (await api.get("/api/v1/runs", run_type="BACKTEST"))["items"] == []

    run = await api.get(f"/api/runs/{RUN}")
    assert (run["run_id"], run["instance_id"], run["run_type"]) == (RUN, INSTANCE, "LIVE")
    assert (run["start_utc"], run["initial_balance"]) == ("2025-03-03T14:29:00Z", 100000.0)
    assert run["end_utc"] == "2025-03-03T14:35:00Z"
    assert (run["metrics"]["trades"], run["metrics"]["net_pnl"]) == (1, 3.25)  # 2 x 4.125 - 5
    assert run["metrics"]["open_positions"] == 0
    ghost = await api.get(f"/api/runs/{GHOST_RUN}")
    assert (ghost["placeholder"], ghost["run_type"], ghost["metrics"]["trades"]) == (True, None, 0)
    assert await api.get(f"/api/v1/runs/{RUN}") == run


async def test_orders_their_history_and_oco_groups(api: Api) -> None:
    orders = await api.walk(f"/api/v1/runs/{RUN}/orders", limit=2)
    assert [o["order_id"] for o in orders] == ["1001", "1002", "1003"]
    entry, tp, sl = orders
    assert (entry["side"], entry["filled_quantity"], entry["fill_count"]) == ("BUY", 2.0, 2)
    assert entry["avg_fill_price"] == pytest.approx(5701.875)
    assert (tp["order_type"], tp["price"], tp["placeholder"]) == ("LIMIT", 5706.0, False)
    assert (sl["status"], sl["cancel_reason"]) == ("CANCELED", "OCO")

    history = await api.walk(f"/api/v1/runs/{RUN}/orders/1003/history", limit=1)
    stored = [h for h in await api.env.rows("order_history", ["position"]) if h["run_id"] == RUN]
    expected = [h for h in stored if h["order_id"] == "1003"]
    assert [h["position"] for h in history] == [h["position"] for h in expected]
    assert [h["event_type"] for h in history] == [h["event_type"] for h in expected]
    assert len(history) == 3
    assert history[1]["status"] == expected[1]["status"]

    groups = (await api.get(f"/api/v1/runs/{RUN}/oco-groups"))["items"]
    assert [(g["oco_group_id"], g["kind"], g["placeholder"]) for g in groups] == [
        ("B-1", "BRACKET", False)
    ]
    legs = [(leg["order_id"], leg["role"], leg["order_status"]) for leg in groups[0]["legs"]]
    assert legs == [("1003", "SL", sl["status"]), ("1002", "TP", tp["status"])]


async def test_executions_are_completed_from_their_order(api: Api) -> None:
    page = await api.get(f"/api/executions/run/{RUN}")
    assert page["next_cursor"] is None
    items = page["items"]
    assert [e["execution_id"] for e in items] == ["T-1", "T-2", "T-3"]
    first = items[0]
    assert (first["side"], first["symbol"], first["account_id"]) == ("BUY", "ESM5", "SIM-101")
    assert (first["exec_utc"], first["price"], first["fee"]) == (
        "2025-03-03T14:30:05.123456Z",
        5701.75,
        1.25,
    )
    assert (items[2]["side"], items[2]["position_impact"]) == ("SELL", "CLOSE")
    walked = await api.walk(f"/api/v1/runs/{RUN}/executions", limit=2)
    assert walked == items


async def test_bars_of_one_series_whatever_the_timeframe_spelling(api: Api) -> None:
    dashboard = await api.get("/api/bars/", run_id=RUN, symbol="ESM5", timeframe="M1")
    items = dashboard["items"]
    assert [(b["ts_utc"], b["close"], b["timeframe"]) for b in items] == [
        ("2025-03-03T14:30:00Z", 5701.75, "1m"),
        ("2025-03-03T14:31:00Z", 5705.5, "1m"),
    ]
    assert (items[0]["open"], items[0]["high"], items[0]["volume"]) == (5700.0, 5702.5, 1200.0)
    path = f"/api/v1/runs/{RUN}/bars"
    walked = await api.walk(path, limit=1, symbol="ESM5", timeframe="1 - Minute")
    assert walked == items
    late = await api.get(path, symbol="ESM5", start_utc="2025-03-03T14:30:30Z")
    assert [b["ts_utc"] for b in late["items"]] == ["2025-03-03T14:31:00Z"]
    early = await api.get(path, symbol="ESM5", end_utc="2025-03-03T14:30:00Z")
    assert [b["ts_utc"] for b in early["items"]] == ["2025-03-03T14:30:00Z"]
    assert (await api.get(path, symbol="NQM5"))["items"] == []


_UNKNOWN = [
    "/api/strategies/Nope",
    "/api/strategies/Nope/instances",
    "/api/runs/instance/Nope",
    "/api/runs/nope",
    "/api/v1/runs/nope",
    "/api/executions/run/nope",
    "/api/v1/runs/nope/orders",
    f"/api/v1/runs/{RUN}/orders/9999/history",
    "/api/v1/runs/nope/executions",
    "/api/v1/runs/nope/oco-groups",
    "/api/v1/runs/nope/bars?symbol=ESM5",
    "/api/bars/?run_id=nope&symbol=ESM5",
    "/api/v1/instances/nope",
]


_INVALID: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/runs", {"cursor": "not-a-cursor"}),
    ("/api/v1/runs", {"cursor": "WzFd"}),  # [1]: an int where a run id belongs
    ("/api/v1/runs", {"limit": 0}),
    ("/api/v1/strategies", {"limit": 5000}),
    (f"/api/v1/runs/{RUN}/executions", {"cursor": "WyJ4IiwgMV0"}),  # ["x", 1]
    (f"/api/v1/runs/{RUN}/orders/1003/history", {"cursor": "WyJ4Il0"}),
    ("/api/bars/", {"run_id": RUN}),  # no symbol
    ("/api/bars/", {"run_id": RUN, "symbol": "ESM5", "start_utc": "yesterday"}),
    ("/api/bars/", {"run_id": RUN, "symbol": "ESM5", "start_utc": "2025-03-03T14:30:00"}),
    (
        f"/api/v1/runs/{RUN}/bars",
        {
            "symbol": "ESM5",
            "start_utc": "2025-03-04T00:00:00Z",
            "end_utc": "2025-03-03T00:00:00Z",
        },
    ),
    (f"/api/v1/runs/{RUN}/bars", {"symbol": "ESM5", "cursor": "WyJ4IiwgIngiXQ"}),
]


async def test_unknown_ids_are_404_and_bad_parameters_422(api: Api) -> None:
    for path in _UNKNOWN:
        response = await api.client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    for path, params in _INVALID:
        response = await api.client.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
