"""`POST /api/runs/start` and `POST /api/runs/{run_id}/stop`: server-assigned run ids,
Idempotency-Key retries, and stops that are recorded once however often they are sent."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from schema.ids import stable_uuid
from stratlog.samples import load_sample
from tests.conftest import StoreLocation
from tests.integration.ingest_harness import NOW, Ingest, running_ingest

START = "/api/runs/start"
NUGET_START: dict[str, Any] = load_sample("nuget")[0].body


@pytest.fixture
async def ingest(store_location: StoreLocation) -> AsyncIterator[Ingest]:
    async with running_ingest(store_location) as running:
        yield running


async def test_start_assigns_a_new_run_id_and_records_run_started(ingest: Ingest) -> None:
    response = await ingest.post(START, NUGET_START)

    assert response.status_code == 201
    answer = response.json()
    assert uuid.UUID(answer["run_id"]).version == 4
    assert answer == {
        "run_id": answer["run_id"],
        "strategy_id": "StackedImbalance",
        "status": "RUNNING",
        "start_utc": "2025-01-01T09:59:00Z",
        "position": 1,
        "duplicate": False,
    }
    [event] = await ingest.events()
    assert (event.event_type, event.run_id, event.source) == (
        "run.started",
        answer["run_id"],
        START,
    )
    [payload] = await ingest.payloads()
    assert payload["parameters_json"] == NUGET_START["parameters"]
    assert payload["start_utc"] == "2025-01-01T09:59:00Z"


async def test_start_without_a_key_starts_a_new_run_each_time(ingest: Ingest) -> None:
    first = (await ingest.post(START, NUGET_START)).json()
    second = (await ingest.post(START, NUGET_START)).json()

    assert first["run_id"] != second["run_id"]
    assert len(await ingest.events()) == 2


async def test_start_without_a_start_time_uses_the_clock(ingest: Ingest) -> None:
    body = {k: v for k, v in NUGET_START.items() if k != "start_time"}

    response = await ingest.post(START, {**body, "data_range": {"from": "2024-01-01"}})

    assert response.json()["start_utc"] == NOW.isoformat().replace("+00:00", "Z")
    [payload] = await ingest.payloads()
    assert payload["data_range"] == {"from": "2024-01-01"}


async def test_a_retried_start_with_the_same_key_answers_the_original_run(ingest: Ingest) -> None:
    key = {"Idempotency-Key": "start-1"}
    body = {k: v for k, v in NUGET_START.items() if k != "start_time"}
    first = await ingest.post(START, body, key)
    ingest.clock.now = NOW + timedelta(seconds=30)  # a retry is stamped later...

    retry = await ingest.post(START, body, key)

    assert first.status_code == 201
    assert first.json()["run_id"] == stable_uuid("run", "start-1")
    assert retry.status_code == 200
    assert retry.json() == {**first.json(), "duplicate": True}
    assert len(await ingest.events()) == 1
    assert await ingest.quarantined() == []  # ...and is not mistaken for a conflict


async def test_a_key_reused_with_other_parameters_is_a_409(ingest: Ingest) -> None:
    key = {"Idempotency-Key": "start-2"}
    await ingest.post(START, NUGET_START, key)
    other = {**NUGET_START, "parameters": {**NUGET_START["parameters"], "FastPeriod": 12}}

    response = await ingest.post(START, other, key)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert len(await ingest.events()) == 1


async def test_a_client_run_id_is_kept_but_does_not_name_the_run(ingest: Ingest) -> None:
    response = await ingest.post(START, {**NUGET_START, "run_id": "mine"})

    assert response.json()["run_id"] != "mine"
    [payload] = await ingest.payloads()
    assert payload["extra_json"] == {"client_run_id": "mine"}


async def test_an_invalid_start_is_a_422_and_quarantined(ingest: Ingest) -> None:
    response = await ingest.post(START, {**NUGET_START, "run_type": "DREAM"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "run_type"
    assert len(await ingest.quarantined()) == 1


async def test_a_start_whose_event_id_names_another_event_is_a_conflict_not_a_500(
    ingest: Ingest,
) -> None:
    created = await ingest.post(
        "/api/ingest/event/strategy_create", {"strategy_id": "S", "event_id": "dup-1"}
    )
    assert created.status_code == 201, created.text

    response = await ingest.post(START, {**NUGET_START, "event_id": "dup-1"})

    assert response.status_code == 422, response.text  # as a conflict on any one-item route
    assert response.json()["status"] == "conflict"
    assert len(await ingest.payloads()) == 1  # the strategy only
    assert len(await ingest.quarantined()) == 1


async def test_stop_twice_records_one_run_ended(ingest: Ingest) -> None:
    run_id = (await ingest.post(START, NUGET_START)).json()["run_id"]

    first = await ingest.post(f"/api/runs/{run_id}/stop", None)
    ingest.clock.now = NOW + timedelta(minutes=1)
    second = await ingest.post(f"/api/runs/{run_id}/stop", {"status": "FAILED"})

    assert first.status_code == 201
    assert first.json() == {
        "run_id": run_id,
        "status": "COMPLETED",
        "end_utc": "2025-06-01T12:00:00Z",
        "position": 2,
        "duplicate": False,
    }
    assert second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert [e.event_type for e in await ingest.events()] == ["run.started", "run.ended"]
    assert await ingest.quarantined() == []


async def test_stop_takes_status_end_time_reason_and_metrics(ingest: Ingest) -> None:
    body = {
        "status": "canceled",
        "end_time": "2025-03-03T09:40:00-05:00",
        "reason": "operator",
        "metrics_json": '{"net": 12.5}',
    }

    response = await ingest.post("/api/runs/unknown-run/stop", body)

    assert response.status_code == 201
    assert response.json()["end_utc"] == "2025-03-03T14:40:00Z"
    [payload] = await ingest.payloads()
    assert payload == {
        "type": "run.ended",
        "version": 1,
        "run_id": "unknown-run",
        "status": "CANCELED",
        "end_utc": "2025-03-03T14:40:00Z",
        "reason": "operator",
        "metrics_json": {"net": 12.5},
    }


async def test_an_invalid_stop_is_a_422_and_quarantined(ingest: Ingest) -> None:
    response = await ingest.post("/api/runs/r-1/stop", {"status": "EXPLODED"})

    assert response.status_code == 422
    [row] = await ingest.quarantined()
    assert (row["run_id"], row["event_type"]) == ("r-1", "run.ended")
    assert await ingest.events() == []
