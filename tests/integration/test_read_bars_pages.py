"""Bar pages of a symbol with several series (timeframes) on real stores: walking the pages
at any page size gives every bar once, in (bar time, series) order, as one big page does."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

RUN = "40000000-0000-4000-8000-000000000004"
START = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)


def _bar(timeframe: str, minutes: int) -> dict[str, Any]:
    ts = (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return {"type": "bar.closed", "run_id": RUN, "symbol": "ESM5", "timeframe": timeframe,
            "ts_utc": ts, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5,
            "volume": float(minutes)}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    async with projection_env(request.param, tmp_path) as env:
        started = {"type": "run.started", "run_id": RUN, "start_utc": "2025-03-03T14:00:00Z"}
        one_minute = [_bar("1m", n) for n in range(12)]
        five_minutes = [_bar("5m", n) for n in range(0, 12, 5)]  # same times as some 1m bars
        await env.append([started, *one_minute, *five_minutes, _bar("1m", 0)])  # a repeat too
        await env.catch_up_all()
        async with read_api_over(env, tmp_path) as api:
            yield api


@pytest.mark.parametrize("path", [f"/api/v1/runs/{RUN}/bars", "/api/bars/"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
async def test_pages_of_several_series_walk_every_bar_once_in_time_order(
    api: Api, path: str, limit: int
) -> None:
    params: dict[str, Any] = {"symbol": "ESM5"} | ({"run_id": RUN} if "run_id" not in path else {})
    whole = (await api.get(path, limit=1000, **params))["items"]
    walked = await api.walk(path, limit=limit, **params)

    assert walked == whole
    assert len(whole) == 12 + 3
    keys = [(bar["ts_utc"], bar["series_id"]) for bar in whole]
    assert keys == sorted(keys)


async def test_a_time_range_and_a_timeframe_narrow_the_pages(api: Api) -> None:
    path = f"/api/v1/runs/{RUN}/bars"
    span = {"start_utc": "2025-03-03T14:05:00Z", "end_utc": "2025-03-03T14:10:00Z"}
    both = await api.walk(path, limit=2, symbol="ESM5", **span)
    assert [(b["ts_utc"][11:16], b["timeframe"]) for b in both if b["timeframe"] == "5m"] == [
        ("14:05", "5m"),
        ("14:10", "5m"),
    ]
    assert len(both) == 6 + 2
    five = await api.walk(path, limit=1, symbol="ESM5", timeframe="M5", **span)
    assert [b["ts_utc"][11:16] for b in five] == ["14:05", "14:10"]
