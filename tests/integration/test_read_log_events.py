"""The raw-event routes over real HTTP (httpx over the ASGI app, its lifespan run), reading a
real log on SQLite and PostgreSQL: the bracket session of two runs, a catalog event between
them, and a run whose events were never projected (the log is read, not the projections).
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest_api.log_store.model import StoredEvent
from read_api.log_models import LogEventPage
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.projection_env import projection_env
from tests.integration.read_env import Api, read_api_over

OTHER_RUN = "6c2a3d0f-9b2e-4d66-8b4a-1e7f4f3c8b21"
INSTRUMENT = {"type": "instrument.defined", "symbol": "ESM5", "multiplier": 50.0}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    """The log holds both runs' events and one catalog event; nothing is projected."""
    async with projection_env(request.param, tmp_path) as env:
        await env.append([*bracket_session(), INSTRUMENT, *bracket_session(OTHER_RUN)[2:]])
        async with read_api_over(env, tmp_path) as api:
            yield api


async def _log(api: Api) -> list[StoredEvent]:
    return await api.env.log.read(limit=10_000)


def _z(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")


def _item_of(stored: StoredEvent) -> dict[str, Any]:
    return {
        "position": stored.position,
        "event_id": stored.event_id,
        "type": stored.event_type,
        "version": stored.schema_version,
        "run_id": stored.run_id,
        "event_utc": _z(stored.event_utc),
        "received_utc": _z(stored.received_utc),
        "source": stored.source,
        "event": orjson.loads(stored.payload),
    }


async def test_a_runs_events_are_the_logs_rows_field_by_field_in_log_order(api: Api) -> None:
    stored = [e for e in await _log(api) if e.run_id == RUN]
    walked = await api.walk(f"/api/v1/runs/{RUN}/events", limit=4)
    assert len(walked) == len(stored) == len(bracket_session()) - 2  # not the catalog ones
    for item, row in zip(walked, stored, strict=True):
        assert item == _item_of(row)
    assert walked[0]["event"]["start_utc"] == "2025-03-03T14:29:00Z"


async def test_the_payload_is_passed_through_as_the_log_stores_it(api: Api) -> None:
    stored = next(e for e in await _log(api) if e.event_type == "execution.recorded")
    response = await api.client.get(
        f"/api/v1/runs/{RUN}/events", params={"type": stored.event_type}
    )
    assert response.status_code == 200
    assert b'"event":' + stored.payload.encode() in response.content
    page = LogEventPage.model_validate_json(response.content)  # the documented shape
    assert page.items[0].position == stored.position
    assert page.items[0].event == orjson.loads(stored.payload)


@pytest.mark.parametrize("limit", [1, 3, 100])
async def test_a_range_of_the_whole_log_walks_every_event_once(api: Api, limit: int) -> None:
    log = await _log(api)
    first, last = log[3].position, log[-4].position
    walked = await api.walk("/api/v1/events", limit=limit, from_position=first, to_position=last)
    assert walked == [_item_of(e) for e in log if first <= e.position <= last]
    catalog = [item for item in walked if item["run_id"] is None]
    assert [item["type"] for item in catalog] == ["instrument.defined"]
    everything = await api.get("/api/v1/events", limit=1000)
    assert [i["position"] for i in everything["items"]] == [e.position for e in log]
    assert everything["next_cursor"] is None


async def test_type_and_after_position_narrow_a_runs_events(api: Api) -> None:
    stored = [e for e in await _log(api) if e.run_id == OTHER_RUN]
    path = f"/api/v1/runs/{OTHER_RUN}/events"
    fills = await api.walk(path, limit=1, type="execution.recorded")
    assert [f["event"]["execution_id"] for f in fills] == ["T-1", "T-2", "T-3"]
    both = await api.get(path, type=["order.submitted", "order.updated"])
    assert [i["type"] for i in both["items"]] == [
        e.event_type for e in stored if e.event_type.startswith("order.")
    ]
    later = await api.get(path, after_position=stored[5].position)
    assert [i["position"] for i in later["items"]] == [e.position for e in stored[6:]]
    beyond = await api.get(path, after_position=stored[-1].position)
    assert beyond == {"items": [], "next_cursor": None}
    single = await api.get("/api/v1/events", from_position=stored[2].position,
                           to_position=stored[2].position)  # fmt: skip
    assert [i["event_id"] for i in single["items"]] == [stored[2].event_id]


async def test_an_unknown_run_is_404_naming_it(api: Api) -> None:
    response = await api.client.get("/api/v1/runs/no-such-run/events")
    assert response.status_code == 404
    assert "no-such-run" in response.json()["error"]["message"]


_INVALID: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/events", {"from_position": 9, "to_position": 8}),
    ("/api/v1/events", {"from_position": -1}),
    ("/api/v1/events", {"type": "order.exploded"}),
    ("/api/v1/events", {"limit": 0}),
    ("/api/v1/events", {"limit": 1001}),
    ("/api/v1/events", {"cursor": "WyJ4Il0"}),  # ["x"]
    (f"/api/v1/runs/{RUN}/events", {"after_position": -1}),
    (f"/api/v1/runs/{RUN}/events", {"type": ["order.updated", "nope"]}),
    (f"/api/v1/runs/{RUN}/events", {"cursor": "not-a-cursor"}),
]


async def test_bad_parameters_are_422(api: Api) -> None:
    for path, params in _INVALID:
        response = await api.client.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
