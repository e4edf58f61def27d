"""`POST /api/v1/compare` over real HTTP, reading what the real runner projected from a real
log on SQLite and PostgreSQL.

Three runs on 2025-03-03: the analytics session (instance I-ES-BREAKOUT, strategy Breakout,
balance 100,000, 14:00-15:00, worked in test_run_analytics.py); LATE, a second run of that
instance (balance 50,000) whose times carry microseconds; and the bracket session (its own
instance and strategy, balance 100,000, 14:29-14:31:42). ES has a multiplier of 50 for every
run. The curves are checked against step functions computed here from the stored points.
"""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.sessions import (
    ANALYTICS_INSTANCE,
    ANALYTICS_RUN,
    ANALYTICS_STRATEGY,
    analytics_session,
    bracket_session,
)
from tests.fixtures.sessions import RUN as BRACKET_RUN
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

LATE = "late-run"
BRACKET_INSTANCE = "654EAF46109D0847CC9F7F01D7E47C43"
BRACKET_STRATEGY = "StackedImbalance"


def _late_run() -> list[dict[str, Any]]:
    """Starts 14:20:00.500001; a bar, then a long 1 ES bought at 5705 and sold at 5709."""
    base = {"run_id": LATE}
    orders = [
        {**base, "type": "order.submitted", "order_id": f"L{n}", "symbol": "ESM5",
         "account_id": "SIM-1", "side": side, "order_type": "MARKET", "quantity": 1.0,
         "status": "NEW", "submit_utc": at}
        for n, side, at in ((1, "BUY", "2025-03-03T14:26:10Z"),
                            (2, "SELL", "2025-03-03T14:39:59Z"))
    ]  # fmt: skip
    fills = [
        {**base, "type": "execution.recorded", "execution_id": f"LX{n}", "order_id": f"L{n}",
         "exec_utc": at, "price": price, "quantity": 1.0, "fee": 1.0}
        for n, at, price in ((1, "2025-03-03T14:26:10.654321Z", 5705.0),
                             (2, "2025-03-03T14:40:00.000001Z", 5709.0))
    ]  # fmt: skip
    return [
        {**base, "type": "run.started", "instance_id": ANALYTICS_INSTANCE,
         "start_utc": "2025-03-03T14:20:00.500001Z", "initial_balance": 50000.0},
        {**base, "type": "bar.closed", "symbol": "ESM5", "timeframe": "5m",
         "ts_utc": "2025-03-03T14:25:00.123456Z", "open": 5704.0, "high": 5706.0,
         "low": 5703.0, "close": 5705.0},
        *orders,
        *fills,
    ]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    async with projection_env(request.param, tmp_path, batch_size=50) as env:
        await env.append([*analytics_session(), *_late_run(), *bracket_session()])
        await env.catch_up_all()
        async with read_api_over(env, tmp_path) as api:
            yield api


async def _compare(api: Api, **body: Any) -> Any:
    response = await api.client.post("/api/v1/compare", json=body)
    assert response.status_code == 200, response.text
    return response.json()


Point = tuple[datetime, float | None]


async def _points(api: Api) -> dict[str, list[Point]]:
    curves: dict[str, list[Point]] = {}
    for row in await api.env.rows("equity_points"):  # by (run, seq): time order
        curves.setdefault(row["run_id"], []).append((row["ts_utc"], row["equity"]))
    return curves


def _step(curve: Sequence[Point], at: datetime, before: float | None) -> float | None:
    """The curve's last value at or before `at` (`before` if none): the reference sampler."""
    value = before
    for moment, equity in curve:
        if moment > at:
            break
        value = equity
    return value


def _held_together(
    curves: Sequence[Sequence[Point]], balances: Sequence[float], at: datetime
) -> float | None:
    if all(not curve or curve[0][0] > at for curve in curves):
        return None
    values = [_step(c, at, b) for c, b in zip(curves, balances, strict=True)]
    return None if None in values else sum(v for v in values if v is not None)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_runs_are_sampled_as_step_functions_on_one_time_grid(api: Api) -> None:
    ids = [LATE, ANALYTICS_RUN, BRACKET_RUN]
    body = await _compare(api, kind="runs", ids=ids, points=57)
    points = await _points(api)
    x = [_when(value) for value in body["curves"]["x"]]
    assert len(x) == 57
    assert (x[0], x[-1]) == (points[ANALYTICS_RUN][0][0], points[ANALYTICS_RUN][-1][0])
    assert x == sorted(x)
    series = body["curves"]["series"]
    assert [s["id"] for s in series] == ids
    for one in series:
        curve, balance = points[one["id"]], one["initial_balance"]
        assert one["start_utc"] == curve[0][0].isoformat().replace("+00:00", "Z")
        assert one["equity"] == [_step(curve, at, None) for at in x]
        assert one["pnl"] == [None if e is None else e - balance for e in one["equity"]]
    assert [s["initial_balance"] for s in series] == [50000.0, 100000.0, 100000.0]
    assert series[0]["equity"][0] is None  # LATE starts at 14:20:00.500001
    assert series[1]["equity"][-1] == 100724.0


async def test_a_fine_grid_tells_microseconds_apart(api: Api) -> None:
    body = await _compare(api, kind="runs", ids=[LATE], points=2000)
    curve = (await _points(api))[LATE]
    x = [_when(value) for value in body["curves"]["x"]]
    # Grid steps of 0.6 s: some x falls between 14:26:10 and the fill at 14:26:10.654321.
    assert any(_when("2025-03-03T14:26:10Z") <= at < curve[2][0] for at in x)
    assert body["curves"]["series"][0]["equity"] == [_step(curve, at, None) for at in x]


async def test_rows_are_the_metrics_routes_objects_in_the_order_asked(api: Api) -> None:
    for kind, ids, path in (
        ("runs", [BRACKET_RUN, ANALYTICS_RUN], "/api/v1/runs/{}/metrics"),
        ("instances", [ANALYTICS_INSTANCE, BRACKET_INSTANCE], "/api/v1/instances/{}/metrics"),
        ("strategies", [BRACKET_STRATEGY, ANALYTICS_STRATEGY], "/api/v1/strategies/{}/metrics"),
    ):
        body = await _compare(api, kind=kind, ids=ids, points=2)
        assert body["kind"] == kind
        assert body["rows"] == [await api.get(path.format(key)) for key in ids]


async def test_a_runs_curve_by_elapsed_time_worked_by_hand(api: Api) -> None:
    body = await _compare(api, kind="runs", ids=[LATE], points=3, align="elapsed")
    # 14:20:00.500001 -> 14:40:00.000001 is 1199.5 s; the grid is 0, 599.75, 1199.5 s.
    assert body["curves"]["x"] == [0.0, 599.75, 1199.5]
    (late,) = body["curves"]["series"]
    # 14:30:00.250001 falls after the buy (fee 1) at 14:26:10.654321.
    assert late["equity"] == [50000.0, 49999.0, 50198.0]  # + (5709 - 5705) x 50 - 2
    assert late["pnl"] == [0.0, -1.0, 198.0]


async def test_elapsed_alignment_starts_every_curve_at_zero(api: Api) -> None:
    body = await _compare(api, kind="runs", ids=[ANALYTICS_RUN, LATE], points=41, align="elapsed")
    points = await _points(api)
    seconds = body["curves"]["x"]
    assert (seconds[0], seconds[-1]) == (0.0, 3600.0)  # the longer run: 14:00 -> 15:00
    for one in body["curves"]["series"]:
        curve = points[one["id"]]
        times = [curve[0][0] + timedelta(microseconds=round(s * 1e6)) for s in seconds]
        assert one["equity"] == [_step(curve, at, None) for at in times]
    assert body["curves"]["series"][1]["equity"][-1] == 50198.0  # LATE ends after 1199.5 s


async def test_an_instance_is_the_portfolio_of_its_runs(api: Api) -> None:
    body = await _compare(api, kind="instances", ids=[ANALYTICS_INSTANCE, BRACKET_INSTANCE],
                          points=61)  # fmt: skip
    points = await _points(api)
    x = [_when(value) for value in body["curves"]["x"]]
    both, bracket = body["curves"]["series"]
    assert both["initial_balance"] == 150000.0
    runs = [points[ANALYTICS_RUN], points[LATE]]
    assert both["equity"] == [_held_together(runs, [100000.0, 50000.0], at) for at in x]
    assert both["pnl"] == [None if e is None else e - 150000.0 for e in both["equity"]]
    assert both["equity"][-1] == 100724.0 + 50198.0
    assert bracket["equity"] == [_held_together([points[BRACKET_RUN]], [1e5], at) for at in x]


async def test_a_strategy_by_elapsed_time_is_its_runs_held_together(api: Api) -> None:
    body = await _compare(api, kind="strategies", ids=[ANALYTICS_STRATEGY], points=5,
                          align="elapsed")  # fmt: skip
    assert body["curves"]["x"] == [0.0, 900.0, 1800.0, 2700.0, 3600.0]
    (breakout,) = body["curves"]["series"]
    points = await _points(api)
    start = points[ANALYTICS_RUN][0][0]
    runs = [points[ANALYTICS_RUN], points[LATE]]
    expected = [_held_together(runs, [1e5, 5e4], start + timedelta(seconds=s))
                for s in (0, 900, 1800, 2700, 3600)]  # fmt: skip
    assert breakout["equity"] == expected
    assert expected[0] == 150000.0  # LATE counts at its balance before its first point


async def test_unknown_ids_are_404_naming_them(api: Api) -> None:
    for kind, known in (("runs", LATE), ("instances", ANALYTICS_INSTANCE),
                        ("strategies", ANALYTICS_STRATEGY)):  # fmt: skip
        body = {"kind": kind, "ids": ["nope", known, "nada"]}
        response = await api.client.post("/api/v1/compare", json=body)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == f"unknown {kind}: 'nope', 'nada'"


_INVALID: list[dict[str, Any]] = [
    {"kind": "runs", "ids": []},
    {"kind": "runs", "ids": [f"r{i}" for i in range(21)]},
    {"kind": "runs", "ids": [LATE, LATE]},
    {"kind": "runs", "ids": [""]},
    {"kind": "runs", "ids": [LATE], "points": 1},
    {"kind": "runs", "ids": [LATE], "points": 2001},
    {"kind": "runs", "ids": [LATE], "align": "calendar"},
    {"kind": "trades", "ids": [LATE]},
    {"kind": "runs", "run_ids": [LATE]},
    {"ids": [LATE]},
]


async def test_bad_requests_are_422(api: Api) -> None:
    for body in _INVALID:
        response = await api.client.post("/api/v1/compare", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
