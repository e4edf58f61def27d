"""Orphans, quarantine and stale runs over real stores, through the read app's HTTP routes."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_api.log_store import FieldError, Rejection
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.integration.read_env import read_api_over

NOW = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[ProjectionEnv, httpx.AsyncClient]]:
    async with (
        projection_env("sqlite", tmp_path) as stores,
        read_api_over(stores, tmp_path, clock=lambda: NOW) as api,
    ):
        yield stores, api.client


def _run_started(run_id: str, run_type: str) -> dict[str, Any]:
    return {"type": "run.started", "run_id": run_id, "run_type": run_type,
            "start_utc": "2025-03-03T14:00:00Z", "strategy_id": "S"}  # fmt: skip


async def test_a_fill_of_an_unknown_order_and_events_of_an_unknown_run_are_listed_until_resolved(
    env: tuple[ProjectionEnv, httpx.AsyncClient],
) -> None:
    stores, client = env
    fill = {"type": "execution.recorded", "run_id": "r1", "execution_id": "T-1",
            "order_id": "1001", "exec_utc": "2025-03-03T14:30:00Z", "price": 10.0,
            "quantity": 1.0}  # fmt: skip
    await stores.append([fill])
    await stores.catch_up_all()

    orphans = (await client.get("/api/v1/orphans")).json()
    assert orphans["orders"]["count"] == 1
    assert orphans["orders"]["items"][0]["order_id"] == "1001"
    assert [r["run_id"] for r in orphans["runs"]["items"]] == ["r1"]

    order = {"type": "order.submitted", "run_id": "r1", "order_id": "1001", "side": "BUY",
             "symbol": "ES", "quantity": 1.0}  # fmt: skip
    await stores.append([order, _run_started("r1", "LIVE")])
    await stores.catch_up_all()

    resolved = (await client.get("/api/v1/orphans")).json()
    assert resolved["orders"]["count"] == 0
    assert resolved["runs"]["count"] == 0


async def test_quarantined_items_are_listed_with_their_errors_page_by_page(
    env: tuple[ProjectionEnv, httpx.AsyncClient],
) -> None:
    stores, client = env
    rejections = [
        Rejection(
            i,
            f'{{"bad": {i}}}',
            (FieldError("price", "Field required"),),
            "test",
            run_id="r1" if i % 2 else "r2",
        )
        for i in range(5)
    ]
    await stores.log.append([], rejections)

    first = (await client.get("/api/v1/quarantine", params={"limit": 2})).json()
    second = (
        await client.get("/api/v1/quarantine", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    third = (
        await client.get("/api/v1/quarantine", params={"limit": 2, "cursor": second["next_cursor"]})
    ).json()
    walked = [item["item_index"] for page in (first, second, third) for item in page["items"]]
    assert walked == [0, 1, 2, 3, 4]
    assert third["next_cursor"] is None
    assert first["items"][0]["errors"] == [{"field": "price", "message": "Field required"}]
    assert first["items"][0]["raw"] == '{"bad": 0}'
    only_r1 = (await client.get("/api/v1/quarantine", params={"run_id": "r1"})).json()
    assert [item["item_index"] for item in only_r1["items"]] == [1, 3]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4Il0"])
async def test_a_forged_quarantine_cursor_is_a_422(
    env: tuple[ProjectionEnv, httpx.AsyncClient], cursor: str
) -> None:
    _, client = env
    response = await client.get("/api/v1/quarantine", params={"cursor": cursor})
    assert response.status_code == 422


async def test_only_silent_live_runs_are_stale(
    env: tuple[ProjectionEnv, httpx.AsyncClient],
) -> None:
    stores, client = env
    heartbeat = {"type": "run.heartbeat", "run_id": "fresh", "ts_utc": "2025-03-03T14:59:00Z"}
    await stores.append(
        [
            _run_started("silent", "LIVE"),  # last news 14:00, an hour before NOW
            _run_started("fresh", "PAPER"),
            heartbeat,
            _run_started("history", "BACKTEST"),  # historical times: never stale
            _run_started("done", "LIVE"),
            {"type": "run.ended", "run_id": "done", "end_utc": "2025-03-03T14:10:00Z"},
        ]
    )
    await stores.catch_up_all()

    stale = (await client.get("/api/v1/runs/stale")).json()
    assert stale["silent_for_seconds"] == 300.0
    assert [(r["run_id"], r["silent_seconds"]) for r in stale["items"]] == [("silent", 3600.0)]
    lenient = (await client.get("/api/v1/runs/stale", params={"silent_for_seconds": 7200})).json()
    assert lenient["items"] == []
