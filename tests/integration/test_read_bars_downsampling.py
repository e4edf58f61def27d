"""Bars downsampled into candles by `GET /api/v1/runs/{run_id}/bars?bucket=…&max_points=…`
over real HTTP, reading what the real runner projected on SQLite and PostgreSQL, checked
against candles aggregated here from the stored bars.

The run: ESM5 one-minute bars on Friday 2025-03-07 20:00-21:59 and Monday 2025-03-10
00:00-05:59 (a weekend gap), no volume during Monday's 03:00 hour; an hourly ESM5 series over
the same hours; one NQM5 bar that no ESM5 candle may include.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from read_api.bar_buckets import bucket_start
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

RUN = "run-candles"
PATH = f"/api/v1/runs/{RUN}/bars"
FRIDAY = datetime(2025, 3, 7, 20, tzinfo=UTC)
MONDAY = datetime(2025, 3, 10, tzinfo=UTC)


def _bar(symbol: str, timeframe: str, moment: datetime, n: int) -> dict[str, Any]:
    price = 5700.0 + (n * 7) % 23 - (n * 3) % 11
    volume = None if moment.hour == 3 and moment >= MONDAY else float(n % 50 + 1)
    return {"type": "bar.closed", "run_id": RUN, "symbol": symbol, "timeframe": timeframe,
            "ts_utc": moment.isoformat(), "open": price, "high": price + 1 + n % 3,
            "low": price - 1 - n % 4, "close": price + 0.25 * (n % 5),
            "volume": volume}  # fmt: skip


def _session() -> list[dict[str, Any]]:
    minutes = [FRIDAY + timedelta(minutes=i) for i in range(120)]
    minutes += [MONDAY + timedelta(minutes=i) for i in range(360)]
    hours = [FRIDAY + timedelta(hours=i) for i in range(2)]
    hours += [MONDAY + timedelta(hours=i) for i in range(6)]
    started = {"type": "run.started", "run_id": RUN, "instance_id": "I-1",
               "start_utc": FRIDAY.isoformat()}  # fmt: skip
    return [
        started,
        *(_bar("ESM5", "1 - Minute", moment, n) for n, moment in enumerate(minutes)),
        *(_bar("ESM5", "H1", moment, n) for n, moment in enumerate(hours)),
        _bar("NQM5", "1m", MONDAY, 0),
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    async with projection_env(request.param, tmp_path) as env:
        await env.append(_session())
        await env.catch_up_all()
        async with read_api_over(env, tmp_path) as api:
            yield api


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _expected(api: Api, width: int, timeframe: str | None = None) -> list[dict[str, Any]]:
    """The ESM5 candles of `width` seconds, aggregated here from the stored bars."""
    series = {s["series_id"]: s for s in await api.env.rows("run_series")}
    groups: dict[tuple[datetime, str], list[dict[str, Any]]] = {}
    for bar in await api.env.rows("bars", ["series_id", "ts_utc"]):
        own = series[bar["series_id"]]
        if own["symbol"] == "ESM5" and timeframe in (None, own["timeframe"]):
            key = (bucket_start(bar["ts_utc"], width), bar["series_id"])
            groups.setdefault(key, []).append(bar)
    candles = []
    for (start, series_id), members in sorted(groups.items()):
        volumes = [b["volume"] for b in members if b["volume"] is not None]
        candles.append({
            "ts_utc": _z(start), "end_utc": _z(start + timedelta(seconds=width)),
            "open": members[0]["open"], "high": max(b["high"] for b in members),
            "low": min(b["low"] for b in members), "close": members[-1]["close"],
            "volume": sum(volumes) if volumes else None, "bar_count": len(members),
            "first_bar_utc": _z(members[0]["ts_utc"]), "last_bar_utc": _z(members[-1]["ts_utc"]),
            "series_id": series_id, "symbol": "ESM5", "timeframe": series[series_id]["timeframe"],
            "venue": "", "provider": "",
        })  # fmt: skip
    return candles


async def test_candles_are_the_stored_bars_aggregated_field_by_field(api: Api) -> None:
    for bucket, width, name in (("H1", 3600, "1h"), ("15m", 900, "15m"), ("1 - Day", 86400, "1d")):
        page = await api.get(PATH, symbol="ESM5", timeframe="1m", bucket=bucket, limit=10_000)
        assert (page["bucket"], page["next_cursor"]) == (name, None)
        assert page["items"] == await _expected(api, width, "1m")
        no_volume = [c for c in page["items"] if c["ts_utc"] == "2025-03-10T03:00:00Z"]
        assert [c["volume"] for c in no_volume] == ([None] if width <= 3600 else [])


async def test_pages_of_candles_walk_every_candle_once_in_bucket_then_series_order(
    api: Api,
) -> None:
    expected = await _expected(api, 1800)
    assert len(expected) == 16 + 8  # 16 half-hours of minute bars, 8 hourly bars
    assert [c["bar_count"] for c in expected if c["timeframe"] == "1h"] == [1] * 8
    for limit in (1, 5, 50):
        assert await api.walk(PATH, limit=limit, symbol="ESM5", bucket="30m") == expected


async def test_a_cursor_keeps_the_bucket_of_the_first_page(api: Api) -> None:
    first = await api.get(PATH, symbol="ESM5", timeframe="1m", max_points=20, limit=2)
    assert first["bucket"] == "4h"
    rest = await api.get(PATH, symbol="ESM5", timeframe="1m", max_points=1000,
                         cursor=first["next_cursor"])  # fmt: skip
    assert rest["bucket"] == "4h"
    assert first["items"] + rest["items"] == await _expected(api, 4 * 3600, "1m")


_MAX_POINTS: list[tuple[dict[str, Any], str, int]] = [
    # Friday 20:00 to Monday 05:59 touches 15 buckets of 4h (2h: 29); 3 of them hold bars.
    ({"max_points": 20}, "4h", 3),
    ({"max_points": 10, "start_utc": "2025-03-10T00:00:00Z"}, "1h", 6),
    ({"max_points": 5, "start_utc": "2025-03-10T00:30:00Z", "end_utc": "2025-03-10T04:00:00Z"},
     "1h", 5),
    # A short span: the series' own minute, not a second.
    ({"max_points": 100, "end_utc": "2025-03-07T20:09:00Z"}, "1m", 10),
    ({"max_points": 1000, "bucket": "2h"}, "2h", 4),
    # Friday and Monday lie in two weeks, two 2w and two 4w buckets: 13w is the first fit.
    ({"max_points": 1}, "13w", 1),
]  # fmt: skip


async def test_max_points_picks_the_smallest_bucket_that_fits(api: Api) -> None:
    for params, bucket, candles in _MAX_POINTS:
        page = await api.get(PATH, symbol="ESM5", timeframe="1m", **params)
        assert (page["bucket"], len(page["items"])) == (bucket, candles), params
        span = {k: v for k, v in params.items() if k in ("start_utc", "end_utc")}
        bars = await api.get(PATH, symbol="ESM5", timeframe="1m", limit=10_000, **span)
        assert sum(candle["bar_count"] for candle in page["items"]) == len(bars["items"])


async def test_without_bucket_or_max_points_the_bars_are_served_as_stored(api: Api) -> None:
    raw = await api.get(PATH, symbol="ESM5", timeframe="1h", limit=3)
    assert "bucket" not in raw
    assert [b["ts_utc"] for b in raw["items"]] == [
        "2025-03-07T20:00:00Z", "2025-03-07T21:00:00Z", "2025-03-10T00:00:00Z"
    ]  # fmt: skip
    dashboard = await api.get("/api/bars/", run_id=RUN, symbol="ESM5", timeframe="1h", limit=3)
    assert dashboard == raw


async def test_no_matching_bars_is_an_empty_page(api: Api) -> None:
    page = await api.get(PATH, symbol="CLK5", max_points=10)
    assert page == {"bucket": "1s", "items": [], "next_cursor": None}
    late = await api.get(PATH, symbol="ESM5", bucket="1h", start_utc="2026-01-01T00:00:00Z")
    assert late == {"bucket": "1h", "items": [], "next_cursor": None}


_RAW_CURSOR = "WyIyMDI1LTAzLTA3VDIwOjAwOjAwKzAwOjAwIiwgIngiXQ"  # [time, "x"]
_ZERO_WIDTH = "WyIyMDI1LTAzLTA3VDIwOjAwOjAwKzAwOjAwIiwgIngiLCAwXQ"  # [time, "x", 0]
_INVALID: list[dict[str, Any]] = [
    {"bucket": "1mo"},
    {"bucket": "10 ticks"},
    {"bucket": "weird"},
    {"bucket": "0m"},
    {"bucket": "53w"},
    {"max_points": 0},
    {"max_points": 10_001},
    {"bucket": "1h", "cursor": _RAW_CURSOR},
    {"bucket": "1h", "cursor": _ZERO_WIDTH},
    {"bucket": "1h", "start_utc": "2025-03-10T00:00:00"},
]


async def test_an_unknown_run_is_404_and_bad_downsampling_parameters_422(api: Api) -> None:
    response = await api.client.get("/api/v1/runs/nope/bars", params={"symbol": "ESM5",
                                                                       "bucket": "1h"})  # fmt: skip
    assert response.status_code == 404
    assert "nope" in response.json()["error"]["message"]
    for params in _INVALID:
        response = await api.client.get(PATH, params={"symbol": "ESM5", **params})
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
