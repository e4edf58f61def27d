"""503 + Retry-After, for real: a store opened with a tiny pending limit and driven by
concurrent requests (everything acknowledged is in the log), and a database that fails every
write (its error text stays in the server's log, out of the answer)."""

import asyncio

import asyncpg
import pytest

from tests.conftest import PG_DSN, StoreLocation
from tests.integration.ingest_harness import running_ingest

PATH = "/api/v1/events"
REQUESTS = 40
EVENTS_PER_REQUEST = 20


def batch(request: int) -> list[dict[str, object]]:
    return [
        {
            "type": "run.heartbeat",
            "run_id": f"run-{request}",
            "ts_utc": f"2025-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
        }
        for i in range(EVENTS_PER_REQUEST)
    ]


async def test_an_overloaded_store_answers_503_with_retry_after(
    store_location: StoreLocation,
) -> None:
    async with running_ingest(
        store_location, max_pending_events=EVENTS_PER_REQUEST, retry_after_seconds=2
    ) as ingest:
        responses = await asyncio.gather(
            *(ingest.post(PATH, batch(request)) for request in range(REQUESTS))
        )

        statuses = [r.status_code for r in responses]
        assert set(statuses) == {200, 503}, statuses
        for response in responses:
            if response.status_code == 503:
                assert response.headers["retry-after"] == "2"
                assert response.json()["error"]["code"] == "overloaded"
        acknowledged = sum(r.json()["accepted"] for r in responses if r.status_code == 200)
        assert acknowledged == statuses.count(200) * EVENTS_PER_REQUEST
        assert len(await ingest.events()) == acknowledged

        retry = await ingest.post(PATH, batch(0))  # once the queue drains, retries succeed
        assert retry.status_code == 200


async def test_a_batch_larger_than_the_limit_still_goes_through_when_nothing_waits(
    sqlite_location: StoreLocation,
) -> None:
    async with running_ingest(sqlite_location, max_pending_events=1) as ingest:
        response = await ingest.post(PATH, batch(0))

        assert response.status_code == 200


@pytest.mark.postgres
async def test_a_failing_store_answers_503_without_its_details(pg_location: StoreLocation) -> None:
    async with running_ingest(pg_location, retry_after_seconds=5) as ingest:
        connection = await asyncpg.connect(PG_DSN)
        try:
            await connection.execute(f'DROP SCHEMA "{pg_location.pg_schema}" CASCADE')
        finally:
            await connection.close()

        response = await ingest.post(PATH, batch(0))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "error": {
            "code": "store_unavailable",
            "message": "the event log is unavailable; retry later",
        }
    }
