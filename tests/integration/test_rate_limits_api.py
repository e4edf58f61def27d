"""Rate limits through the apps: a caller over its rate gets 429 with Retry-After until its
next token is due, and an address that keeps failing to authenticate (keys, or passwords at
the login) is slowed down, valid key or not. In-process apps over real SQLite, on a clock the
test moves."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from read_api.app import create_app as create_read_app
from read_api.settings import ReadSettings
from schema.security.http import API_KEY_HEADER
from tests.conftest import StoreLocation
from tests.credentials import new_key
from tests.fixtures.hostile import HEARTBEAT
from tests.integration.ingest_harness import FixedClock, Ingest, running_ingest

EVENTS = "/api/v1/events"
WRONG_KEY = {API_KEY_HEADER: "slk_not-a-key-of-this-deployment"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def ingest(sqlite_location: StoreLocation, clock: FixedClock) -> AsyncIterator[Ingest]:
    async with running_ingest(
        sqlite_location,
        clock=clock,
        rate_limit_per_second=0.5,
        rate_limit_burst=2,
        auth_failures_per_minute=6,
        auth_failure_burst=3,
    ) as running:
        yield running


async def test_a_caller_over_its_rate_gets_429_with_retry_after_then_passes_after_it(
    ingest: Ingest, clock: FixedClock
) -> None:
    for _ in range(2):
        assert (await ingest.post(EVENTS, [HEARTBEAT])).status_code == 200

    refused = await ingest.post(EVENTS, [HEARTBEAT])

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"  # a token every 2 s
    assert refused.json() == {
        "error": {"code": "rate_limited", "message": "too many requests; retry in 2 s"}
    }
    clock.now += timedelta(seconds=1)
    assert (await ingest.post(EVENTS, [HEARTBEAT])).status_code == 429
    clock.now += timedelta(seconds=1)
    assert (await ingest.post(EVENTS, [HEARTBEAT])).status_code == 200


async def test_an_address_failing_to_authenticate_is_refused_even_a_valid_key_for_a_while(
    ingest: Ingest, clock: FixedClock
) -> None:
    for _ in range(3):
        assert (await ingest.post(EVENTS, [HEARTBEAT], WRONG_KEY)).status_code == 401

    guessing = await ingest.post(EVENTS, [HEARTBEAT], WRONG_KEY)
    valid = await ingest.post(EVENTS, [HEARTBEAT])

    assert guessing.status_code == valid.status_code == 429
    assert valid.headers["retry-after"] == "10"  # 6 failures a minute
    assert valid.json()["error"]["message"] == "too many failed authentications; retry in 10 s"
    clock.now += timedelta(seconds=10)
    assert (await ingest.post(EVENTS, [HEARTBEAT])).status_code == 200


async def test_requests_without_any_credential_do_not_slow_an_address_down(
    ingest: Ingest,
) -> None:
    for _ in range(10):
        response = await ingest.client.post(EVENTS, json=[HEARTBEAT], headers={API_KEY_HEADER: ""})
        assert response.status_code == 401

    assert (await ingest.post(EVENTS, [HEARTBEAT])).status_code == 200


async def test_failed_logins_slow_an_address_down_before_its_password_is_checked(
    tmp_path: Path, clock: FixedClock
) -> None:
    settings = ReadSettings(data_dir=tmp_path, auth_failure_burst=2, auth_failures_per_minute=6)
    await new_key(settings)  # creates the credentials' tables
    app = create_read_app(settings, clock=clock)
    form = {"username": "someone", "password": "a guess at it"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://read") as client:
            wrong = [(await client.post("/api/auth/login", data=form)).status_code for _ in "ab"]
            slowed = await client.post("/api/auth/login", data=form)
            clock.now += timedelta(seconds=10)
            checked_again = await client.post("/api/auth/login", data=form)

    assert wrong == [401, 401]
    assert slowed.status_code == 429
    assert slowed.headers["retry-after"] == "10"
    assert checked_again.status_code == 401
