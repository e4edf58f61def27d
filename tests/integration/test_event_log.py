"""The event log on real SQLite files and a real PostgreSQL schema (DESIGN §3)."""

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import text

from ingest_api.log_store import (
    FieldError,
    Outcome,
    Overloaded,
    Rejection,
    StoreUnavailable,
    open_event_log,
)
from ingest_api.log_store.sql_store import SqlEventLog
from schema.storage import make_engine
from tests.conftest import StoreLocation
from tests.integration.log_events import bar_event


async def _open(
    location: StoreLocation, *, max_pending_events: int = 200_000, max_batch_events: int = 10_000
) -> SqlEventLog:
    return await open_event_log(
        location.url,
        pg_schema=location.pg_schema,
        max_pending_events=max_pending_events,
        max_batch_events=max_batch_events,
    )


@pytest.fixture
async def log(store_location: StoreLocation) -> AsyncIterator[SqlEventLog]:
    event_log = await _open(store_location)
    yield event_log
    await event_log.close()


async def test_appends_get_contiguous_positions_and_read_back_in_order(log: SqlEventLog) -> None:
    receipt = await log.append([bar_event(n) for n in range(5)])
    assert [r.position for r in receipt.results] == [1, 2, 3, 4, 5]
    assert {r.outcome for r in receipt.results} == {Outcome.ACCEPTED}
    assert await log.head() == 5
    stored = await log.read(after=2, limit=2)
    assert [e.position for e in stored] == [3, 4]
    assert stored[0].event_id == bar_event(2).event_id
    assert stored[0].payload == bar_event(2).payload
    assert stored[0].event_utc.tzinfo is not None


async def test_reads_one_run_and_finds_by_event_id(log: SqlEventLog) -> None:
    await log.append([bar_event(0, run_id="a"), bar_event(0, run_id="b"), bar_event(1, run_id="a")])
    assert [e.position for e in await log.read_run("a")] == [1, 3]
    assert [e.position for e in await log.read_run("a", after=1)] == [3]
    found = await log.get(bar_event(0, run_id="b").event_id)
    assert found is not None
    assert found.position == 2
    assert await log.get("no-such-id") is None


async def test_resent_events_are_duplicates_with_their_original_positions(
    log: SqlEventLog,
) -> None:
    await log.append([bar_event(0), bar_event(1)])
    receipt = await log.append([bar_event(1), bar_event(2), bar_event(2)])
    assert [(r.outcome, r.position) for r in receipt.results] == [
        (Outcome.DUPLICATE, 2),
        (Outcome.ACCEPTED, 3),
        (Outcome.DUPLICATE, 3),
    ]
    assert await log.head() == 3


async def test_same_event_id_with_other_content_is_a_quarantined_conflict(
    log: SqlEventLog,
) -> None:
    original = bar_event(0)
    await log.append([original])
    impostor = replace(bar_event(0, close=42.0), event_id=original.event_id, item_index=3)
    receipt = await log.append([impostor])
    (result,) = receipt.results
    assert result.outcome is Outcome.CONFLICT
    assert result.position == 1
    assert result.quarantine_id is not None
    assert await log.head() == 1
    rows = await _quarantine_rows(log)
    assert rows == [(result.quarantine_id, 3, original.event_id, impostor.payload)]


async def test_rejections_are_quarantined_in_the_same_commit(log: SqlEventLog) -> None:
    rejection = Rejection(
        item_index=1,
        raw='{"type": "bar.closed"}',
        errors=(FieldError("symbol", "Field required"),),
        source="test",
    )
    receipt = await log.append([bar_event(0)], [rejection])
    assert len(receipt.quarantine_ids) == 1
    rows = await _quarantine_rows(log)
    assert rows == [(receipt.quarantine_ids[0], 1, None, '{"type": "bar.closed"}')]


async def test_too_many_pending_events_are_refused_as_overloaded(
    store_location: StoreLocation,
) -> None:
    event_log = await _open(store_location, max_pending_events=10, max_batch_events=10)
    try:
        batches = [[bar_event(n * 10 + i) for i in range(10)] for n in range(20)]
        outcomes = await asyncio.gather(
            *(event_log.append(batch) for batch in batches), return_exceptions=True
        )
        refused = [o for o in outcomes if isinstance(o, Overloaded)]
        committed = [o for o in outcomes if not isinstance(o, BaseException)]
        assert refused, "20 concurrent batches over a limit of 10 must refuse some"
        assert committed
        assert await event_log.head() == 10 * len(committed)
    finally:
        await event_log.close()


@pytest.mark.postgres
async def test_unreachable_postgres_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable):
        await open_event_log("postgresql+asyncpg://postgres@127.0.0.1:1/test")


async def test_sqlite_log_runs_in_wal_with_the_configured_synchronous_level(
    sqlite_location: StoreLocation,
) -> None:
    event_log = await open_event_log(sqlite_location.url, synchronous="NORMAL")
    await event_log.close()
    engine = make_engine(sqlite_location.url, role="reader", synchronous="FULL")
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == 2  # FULL
    await engine.dispose()


async def test_concurrent_clients_with_duplicates_leave_each_event_once_and_no_visible_gap(
    store_location: StoreLocation,
) -> None:
    """8 clients x 5,000 events, 30% of them re-sends, through two log instances (two
    replicas), while a reader tails the log and checks it never sees a later position
    before an earlier one."""
    clients, per_client, batch_size = 8, 5_000, 100
    rng = random.Random(7)
    fresh_per_client = int(per_client * 0.7)
    streams: list[list[int]] = []
    for c in range(clients):
        own = [c * per_client + i for i in range(fresh_per_client)]
        resend = [
            rng.randrange(0, clients * fresh_per_client) for _ in range(per_client - len(own))
        ]
        resend = [(n // fresh_per_client) * per_client + n % fresh_per_client for n in resend]
        stream = own + resend
        rng.shuffle(stream)
        streams.append(stream)
    replicas = [await _open(store_location), await _open(store_location)]
    done = asyncio.Event()
    tailed: list[int] = []

    async def tail() -> None:
        last = 0
        while True:
            finished = done.is_set()
            for event in await replicas[0].read(after=last, limit=2_000):
                assert event.position == last + 1, f"saw {event.position} right after {last}"
                last = event.position
                tailed.append(last)
            if finished:
                return
            await asyncio.sleep(0.001)

    async def client(index: int) -> None:
        stream, replica = streams[index], replicas[index % 2]
        for start in range(0, len(stream), batch_size):
            await replica.append([bar_event(n) for n in stream[start : start + batch_size]])

    try:
        reader = asyncio.create_task(tail())
        await asyncio.gather(*(client(i) for i in range(clients)))
        done.set()
        await reader
        distinct = {bar_event(n).event_id for stream in streams for n in stream}
        head = await replicas[0].head()
        assert head == len(distinct)
        assert tailed == list(range(1, head + 1))
        stored_ids = [e.event_id for e in await replicas[1].read(limit=head + 1)]
        assert len(stored_ids) == len(set(stored_ids)) == len(distinct)
        assert set(stored_ids) == distinct
    finally:
        for replica in replicas:
            await replica.close()


async def _quarantine_rows(log: SqlEventLog) -> list[tuple[int, int, str | None, str]]:
    engine = log._reader  # the test reads the table itself rather than widen the interface
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT quarantine_id, item_index, event_id, raw FROM quarantine ORDER BY 1")
        )
        return [tuple(row) for row in result.all()]


@pytest.mark.postgres
async def test_a_request_whose_data_breaks_the_write_fails_alone(
    pg_location: StoreLocation,
) -> None:
    """PostgreSQL text cannot hold NUL: the request carrying one must not take down the
    other requests committed in the same group."""
    event_log = await _open(pg_location)
    try:
        poisoned = replace(bar_event(1), payload='{"bad": "\x00"}')
        good, bad = await asyncio.gather(
            event_log.append([bar_event(0)]), event_log.append([poisoned]), return_exceptions=True
        )
        assert isinstance(bad, StoreUnavailable)
        assert not isinstance(good, BaseException)
        assert [e.event_id for e in await event_log.read()] == [bar_event(0).event_id]
    finally:
        await event_log.close()
