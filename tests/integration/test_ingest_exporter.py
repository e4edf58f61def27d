"""The exporters' compat routes, fed exactly what the two existing exporters send
(stratlog/samples/*_sample.json are verbatim copies of the design's exporter-samples)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from stratlog.samples import RecordedCall, load_sample
from tests.conftest import StoreLocation
from tests.integration.ingest_harness import Ingest, running_ingest

QUANTOWER = load_sample("quantower")
NUGET = load_sample("nuget")
RUN = "5b1f2c9e-8a1d-4c55-9a39-0d6f3e2b7a10"


def sample_call(calls: list[RecordedCall], path: str, nth: int = 0) -> RecordedCall:
    return [call for call in calls if call.path == path][nth]


def items_of(calls: list[RecordedCall], path: str) -> list[dict[str, Any]]:
    """Copies of the items the calls to `path` carried."""
    return [dict(item) for call in calls if call.path == path for item in call.body]


@pytest.fixture
async def ingest(store_location: StoreLocation) -> AsyncIterator[Ingest]:
    async with running_ingest(store_location) as running:
        yield running


@pytest.mark.parametrize(
    ("path", "event_type"),
    [
        ("/api/ingest/event/strategy_create", "strategy.registered"),
        ("/api/ingest/event/instance_create", "instance.registered"),
        ("/api/ingest/event/run_start", "run.started"),
    ],
)
async def test_the_quantower_handshake_is_accepted_as_sent(
    ingest: Ingest, path: str, event_type: str
) -> None:
    call = sample_call(QUANTOWER, path)

    response = await ingest.post(path, call.body)

    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    [event] = await ingest.events()
    assert event.event_type == event_type
    assert event.source == path


async def test_quantower_handshake_fields_land_in_their_canonical_names(ingest: Ingest) -> None:
    for path in ("strategy_create", "instance_create", "run_start"):
        await ingest.post(
            f"/api/ingest/event/{path}", sample_call(QUANTOWER, f"/api/ingest/event/{path}").body
        )

    strategy, instance, run = await ingest.payloads()
    assert strategy == {
        "type": "strategy.registered",
        "version": 1,
        "strategy_id": "StackedImbalance",
        "name": "StackedImbalance",
        "notes": "acceptance harness session",
    }
    assert instance["instance_id"] == "654EAF46109D0847CC9F7F01D7E47C43"
    assert instance["parameters_json"] == {"Symbol": "ESM5", "Timeframe": "1 - Minute"}
    assert (instance["timeframe"], instance["venue"]) == ("1 - Minute", "SIM-101")
    assert run["run_id"] == RUN
    assert run["start_utc"] == "2025-01-01T09:59:00Z"
    assert (run["run_type"], run["initial_balance"]) == ("LIVE", 100000.0)


@pytest.mark.parametrize("calls", [QUANTOWER, NUGET], ids=["quantower", "nuget"])
@pytest.mark.parametrize("name", ["orders", "executions", "bars"])
async def test_every_batch_the_exporters_send_is_accepted(
    ingest: Ingest, calls: list[RecordedCall], name: str
) -> None:
    items = items_of(calls, f"/api/ingest/batch/{name}")

    response = await ingest.post(f"/api/ingest/batch/{name}", items)

    assert response.status_code == 200
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (len(items), 0)
    assert len(await ingest.events()) == len(items)


@pytest.mark.parametrize(
    ("kind", "batch", "event_type"),
    [
        ("order", "orders", "order.submitted"),
        ("execution", "executions", "execution.recorded"),
        ("bar", "bars", "bar.closed"),
    ],
)
@pytest.mark.parametrize("calls", [QUANTOWER, NUGET], ids=["quantower", "nuget"])
async def test_a_single_item_route_takes_one_batch_item(
    ingest: Ingest, calls: list[RecordedCall], kind: str, batch: str, event_type: str
) -> None:
    item = items_of(calls, f"/api/ingest/batch/{batch}")[0]

    first = await ingest.post(f"/api/ingest/event/{kind}", item)
    again = await ingest.post(f"/api/ingest/event/{kind}", item)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["position"] == first.json()["position"]
    [event] = await ingest.events()
    assert event.event_type == event_type


async def test_csharp_times_are_stored_in_utc(ingest: Ingest) -> None:
    fill = items_of(QUANTOWER, "/api/ingest/batch/executions")[0]
    sent = [
        {**fill, "execution_id": "seven-digits", "exec_utc": "2025-01-01T10:00:00.1234567Z"},
        {**fill, "execution_id": "naive", "exec_utc": "2025-03-03T14:31:42.0000000"},
        {**fill, "execution_id": "offset", "exec_utc": "2025-03-03T09:31:42.5000000-05:00"},
    ]

    response = await ingest.post("/api/ingest/batch/executions", sent)

    assert response.json()["accepted"] == 3
    stored = {p["execution_id"]: p["exec_utc"] for p in await ingest.payloads()}
    assert stored == {
        "seven-digits": "2025-01-01T10:00:00.123456Z",
        "naive": "2025-03-03T14:31:42Z",
        "offset": "2025-03-03T14:31:42.500000Z",
    }
    event_utc = {e.event_utc.isoformat() for e in await ingest.events()}
    assert "2025-03-03T14:31:42.500000+00:00" in event_utc


async def test_nuget_field_names_are_renamed(ingest: Ingest) -> None:
    await ingest.post("/api/ingest/batch/orders", items_of(NUGET, "/api/ingest/batch/orders"))
    await ingest.post("/api/ingest/batch/bars", items_of(NUGET, "/api/ingest/batch/bars")[:1])

    orders = await ingest.payloads("order.submitted")
    [bar] = await ingest.payloads("bar.closed")
    assert [o["submit_utc"] for o in orders] == ["2025-03-03T14:30:05Z", "2025-03-03T14:31:30Z"]
    assert all("submit_time" not in o and "extra_json" not in o for o in orders)
    assert (bar["ts_utc"], bar["end_utc"], bar["timeframe"]) == (
        "2025-03-03T14:30:00Z",
        "2025-03-03T14:31:00Z",
        "1m",
    )
    assert "timestamp" not in bar


async def test_the_oldest_field_names_are_renamed_and_open_interest_kept(ingest: Ingest) -> None:
    fill = items_of(NUGET, "/api/ingest/batch/executions")[0]
    del fill["exec_utc"], fill["liquidity"]
    old_fill = {**fill, "exec_time": "2025-03-03T14:30:05Z", "liquidity_flag": "MAKER"}
    bar = {**items_of(NUGET, "/api/ingest/batch/bars")[0], "open_interest": 2150000.0}

    await ingest.post("/api/ingest/event/execution", old_fill)
    await ingest.post("/api/ingest/event/bar", bar)

    [stored_fill] = await ingest.payloads("execution.recorded")
    [stored_bar] = await ingest.payloads("bar.closed")
    assert (stored_fill["exec_utc"], stored_fill["liquidity"]) == ("2025-03-03T14:30:05Z", "MAKER")
    assert stored_bar["open_interest"] == 2150000.0


async def test_strategy_version_is_the_strategys_own(ingest: Ingest) -> None:
    body = {**sample_call(QUANTOWER, "/api/ingest/event/strategy_create").body, "version": "2.1.0"}

    response = await ingest.post("/api/ingest/event/strategy_create", body)

    assert response.status_code == 201
    [event] = await ingest.events()
    assert (event.event_type, event.schema_version) == ("strategy.registered", 1)
    [payload] = await ingest.payloads()
    assert payload["strategy_version"] == "2.1.0"


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        ("NEW", "order.submitted"),
        (None, "order.submitted"),
        ("WORKING", "order.updated"),
        ("Partially Filled", "order.updated"),
        ("CANCELED", "order.updated"),
    ],
)
async def test_order_status_decides_submitted_or_updated(
    ingest: Ingest, status: str | None, event_type: str
) -> None:
    order = {**items_of(QUANTOWER, "/api/ingest/batch/orders")[0], "status": status}

    response = await ingest.post("/api/ingest/batch/orders", [order])

    assert response.json()["accepted"] == 1
    [event] = await ingest.events()
    assert event.event_type == event_type
    [payload] = await ingest.payloads()
    assert payload["order_id"] == "1001"
    assert payload["submit_utc"] == "2025-03-03T14:30:05Z"


async def test_unknown_fields_of_a_newer_exporter_are_kept_in_extra_json(ingest: Ingest) -> None:
    order = items_of(QUANTOWER, "/api/ingest/batch/orders")[0]
    newer = [
        {**order, "oco_group_id": "G-1"},
        {**order, "order_id": "1002", "oco_group_id": "G-1", "extra_json": '{"note": "text"}'},
        {**order, "order_id": "1003", "oco_group_id": "G-1", "extra_json": {"oco_group_id": "own"}},
    ]

    response = await ingest.post("/api/ingest/batch/orders", newer)

    assert response.json()["accepted"] == 3
    extras = [p["extra_json"] for p in await ingest.payloads()]
    assert extras == [
        {"oco_group_id": "G-1"},
        {"oco_group_id": "G-1", "note": "text"},
        {"oco_group_id": "own"},
    ]


async def test_the_stream_route_takes_orders_executions_and_bars(ingest: Ingest) -> None:
    body = {
        "orders": items_of(NUGET, "/api/ingest/batch/orders"),
        "executions": items_of(NUGET, "/api/ingest/batch/executions"),
        "bars": items_of(NUGET, "/api/ingest/batch/bars"),
    }

    response = await ingest.post("/api/ingest/stream", body)

    assert response.status_code == 200
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (8, 0)
    assert [i["index"] for i in report["items"]] == list(range(8))
    types = [e.event_type for e in await ingest.events()]
    assert types == ["order.submitted"] * 2 + ["execution.recorded"] * 3 + ["bar.closed"] * 3


async def test_an_unknown_stream_section_is_quarantined_not_dropped(ingest: Ingest) -> None:
    body = {"orders": None, "positions": [{"symbol": "ESM5", "quantity": 2}]}

    response = await ingest.post("/api/ingest/stream", body)

    assert response.status_code == 422
    [item] = response.json()["items"]
    assert item["errors"][0]["field"] == "positions"
    [row] = await ingest.quarantined()
    assert row["raw"] == '{"symbol":"ESM5","quantity":2}'


async def test_a_stream_body_that_is_not_an_object_is_a_400(ingest: Ingest) -> None:
    response = await ingest.post("/api/ingest/stream", [])

    assert response.status_code == 400


async def test_an_invalid_single_item_is_a_422_and_quarantined(ingest: Ingest) -> None:
    fill = {**items_of(QUANTOWER, "/api/ingest/batch/executions")[0], "price": "n/a"}
    del fill["exec_utc"]

    response = await ingest.post("/api/ingest/event/execution", fill)

    assert response.status_code == 422
    result = response.json()
    assert result["status"] == "rejected"
    assert sorted(e["field"] for e in result["errors"]) == ["exec_utc", "price"]
    [row] = await ingest.quarantined()
    assert row["quarantine_id"] == result["quarantine_id"]
    assert (row["event_type"], row["run_id"]) == ("execution.recorded", RUN)
    assert row["source"] == "/api/ingest/event/execution"


async def test_an_unknown_field_on_a_bar_is_kept_in_its_extra_json(ingest: Ingest) -> None:
    bar = {**items_of(QUANTOWER, "/api/ingest/batch/bars")[0], "delta": 12}

    response = await ingest.post("/api/ingest/event/bar", bar)

    assert response.status_code == 201
    (payload,) = await ingest.payloads("bar.closed")
    assert payload["extra_json"] == {"delta": 12}
