"""Each exporter's recorded session, posted over HTTP to the Procfile's ingest process
(`uvicorn ingest_api.app:app`), leaves exactly its events in the log; posting it again, as a
retrying client does, leaves the log unchanged and is answered with the original positions."""

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from ingest_api.log_store import StoredEvent, open_event_log
from schema.settings import StoreSettings
from stratlog.samples import SESSION_NAMES, SessionName, load_session
from tests.conftest import StoreLocation
from tests.credentials import key_headers
from tests.e2e.serving import ServerProcess, free_port, stop, wait_until_answering

QUANTOWER_RUN = "5b1f2c9e-8a1d-4c55-9a39-0d6f3e2b7a10"
EXPECTED_TYPES: dict[SessionName, Counter[str]] = {
    "quantower": Counter(
        {
            "strategy.registered": 1,
            "instance.registered": 1,
            "run.started": 1,
            "bar.closed": 6,
            "order.submitted": 3,
            "order.updated": 2,
            "execution.recorded": 5,
            "run.ended": 1,
        }
    ),
    "nuget": Counter(
        {
            "strategy.registered": 1,
            "run.started": 1,
            "bar.closed": 5,
            "order.submitted": 4,
            "order.updated": 1,
            "execution.recorded": 5,
            "run.ended": 1,
        }
    ),
}


@contextmanager
def ingest_process(location: StoreLocation, logs: Path) -> Iterator[ServerProcess]:
    """The Procfile's ingest process over `location`, until the block exits."""
    port = free_port()
    env = {**os.environ, "STRATLOG_LOG_URL": location.url, "STRATLOG_DATA_DIR": str(logs)}
    if location.pg_schema:
        env["STRATLOG_LOG_PG_SCHEMA"] = location.pg_schema
    stdout, stderr = logs / "ingest.out", logs / "ingest.err"
    command = [sys.executable, "-m", "uvicorn", "ingest_api.app:app", "--port", str(port)]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
    server = ServerProcess(process, port, stdout, stderr)
    try:
        wait_until_answering(server, "ingest")
        yield server
    finally:
        stop(server)


async def play(client: httpx.AsyncClient, name: SessionName) -> list[httpx.Response]:
    """Post the session's calls in order, stamping the run id the server assigns."""
    responses, run_id = [], None
    for call in load_session(name):
        if run_id is not None:
            call = call.with_run_id(run_id)
        response = await client.request(
            call.method, call.path, json=call.body, headers=dict(call.headers)
        )
        assert response.is_success, f"{call.path}: {response.status_code} {response.text}"
        if call.assigns_run_id:
            run_id = response.json()["run_id"]
        responses.append(response)
    return responses


def positions_in(answer: dict[str, Any]) -> list[int]:
    if "items" in answer:
        return [item["position"] for item in answer["items"]]
    return [answer["position"]]


def assert_all_duplicates(answer: dict[str, Any]) -> None:
    if "items" in answer:
        assert answer["accepted"] == answer["rejected"] == 0
        assert {item["status"] for item in answer["items"]} == {"duplicate"}
    elif "duplicate" in answer:
        assert answer["duplicate"] is True
    else:
        assert answer["status"] == "duplicate"


async def read_log(location: StoreLocation) -> list[StoredEvent]:
    log = await open_event_log(location.url, pg_schema=location.pg_schema)
    try:
        return await log.read(after=0, limit=10_000)
    finally:
        await log.close()


def by_key(events: list[StoredEvent], event_type: str, key: str) -> dict[str, dict[str, Any]]:
    payloads = [orjson.loads(e.payload) for e in events if e.event_type == event_type]
    return {payload[key]: payload for payload in payloads}


async def test_each_session_leaves_its_events_and_resending_it_changes_nothing(
    store_location: StoreLocation, tmp_path: Path
) -> None:
    store = StoreSettings(
        data_dir=tmp_path,
        log_url=store_location.url,
        log_pg_schema=store_location.pg_schema or "stratlog_log",
    )
    headers = await key_headers(store, "ingest")  # an exporter's key
    with ingest_process(store_location, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=headers) as client:
            for name in SESSION_NAMES:
                before = await read_log(store_location)
                first = await play(client, name)
                after_first = await read_log(store_location)
                again = await play(client, name)
                after_second = await read_log(store_location)

                added = after_first[len(before) :]
                assert Counter(e.event_type for e in added) == EXPECTED_TYPES[name], name
                assert after_second == after_first, name
                for original, retried in zip(first, again, strict=True):
                    assert retried.status_code == 200, name
                    assert_all_duplicates(retried.json())
                    assert positions_in(retried.json()) == positions_in(original.json())
                CONTENT_CHECKS[name](added, first)


def check_quantower(events: list[StoredEvent], _responses: list[httpx.Response]) -> None:
    assert {e.run_id for e in events} == {None, QUANTOWER_RUN}
    fills = by_key(events, "execution.recorded", "execution_id")
    assert fills["T-3"]["exec_utc"] == "2025-03-03T14:31:42Z"  # sent without an offset
    assert fills["T-1"]["exec_utc"] == "2025-03-03T14:30:05.123456Z"
    assert "fee" not in fills["T-5"]
    bars = sorted(by_key(events, "bar.closed", "ts_utc"))
    assert bars[3:] == ["2025-03-03T14:33:00Z", "2025-03-03T14:34:00Z", "2025-03-03T14:35:00Z"]
    volumetric = by_key(events, "bar.closed", "ts_utc")["2025-03-03T14:33:00Z"]["volumetric_json"]
    assert volumetric == {"levels": [{"price": 5703.0, "bid": 120, "ask": 95}]}
    submitted = by_key(events, "order.submitted", "order_id")
    updated = by_key(events, "order.updated", "order_id")
    assert sorted(submitted) == ["1001", "1002", "1003"]
    assert submitted["1003"]["extra_json"] == {"oco_group_id": "B-1003"}
    assert (updated["1004"]["status"], updated["1005"]["status"]) == ("WORKING", "FILLED")
    assert updated["1004"]["extra_json"] == {"oco_role": "SL"}


def check_nuget(events: list[StoredEvent], responses: list[httpx.Response]) -> None:
    [run_id] = [r.json()["run_id"] for r in responses if r.url.path == "/api/runs/start"]
    assert {e.run_id for e in events} == {None, run_id}
    [strategy] = by_key(events, "strategy.registered", "strategy_id").values()
    assert strategy["strategy_version"] == "2.1.0"
    [run] = by_key(events, "run.started", "run_id").values()
    assert run["parameters_json"]["FastPeriod"] == 10
    orders = by_key(events, "order.submitted", "order_id")
    assert orders["1001"]["submit_utc"] == "2025-03-03T14:30:05Z"
    assert by_key(events, "order.updated", "order_id")["1003"]["status"] == "FILLED"
    fills = by_key(events, "execution.recorded", "execution_id")
    assert (fills["T-4"]["exec_utc"], fills["T-4"]["liquidity"]) == (
        "2025-03-03T14:33:12.500000Z",
        "MAKER",
    )
    bars = by_key(events, "bar.closed", "ts_utc")
    assert bars["2025-03-03T14:33:00Z"]["end_utc"] == "2025-03-03T14:34:00Z"
    assert bars["2025-03-03T14:33:00Z"]["open_interest"] == 2150000.0


CONTENT_CHECKS = {"quantower": check_quantower, "nuget": check_nuget}
