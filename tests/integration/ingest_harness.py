"""What the ingest tests share: the ingest app over a real store, driven over HTTP by httpx.

The app's lifespan runs as it does under uvicorn (the log is opened and closed by it); the
test reads the log through the same EventLog the app appends to, and the quarantine table
through a reader engine of its own. No tests here: the module is imported by the others.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from ingest_api.app import create_app
from ingest_api.log_store import AppendReceipt, EventLog, NewEvent, StoredEvent
from ingest_api.settings import IngestSettings
from ingest_api.submission import AfterAppend, no_hook
from schema.storage import make_engine
from schema.tables import quarantine
from stratlog.samples import RecordedCall
from tests.conftest import StoreLocation
from tests.credentials import key_headers

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TEST_SECRET = "a test deployment's secret, not a real one"


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Ingest:
    """A running ingest app, its HTTP client, and read access to its store."""

    client: httpx.AsyncClient
    log: EventLog
    location: StoreLocation
    clock: FixedClock

    async def post(
        self, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        content = b"" if body is None else orjson.dumps(body)
        headers = {"content-type": "application/json", **(headers or {})}
        return await self.client.post(path, content=content, headers=headers)

    async def play(self, calls: Sequence[RecordedCall]) -> list[httpx.Response]:
        """Post recorded calls in order, stamping the run id `POST /api/runs/start` assigns."""
        responses, run_id = [], None
        for call in calls:
            if run_id is not None:
                call = call.with_run_id(run_id)
            response = await self.post(call.path, call.body, dict(call.headers))
            if call.assigns_run_id:
                run_id = response.json()["run_id"]
            responses.append(response)
        return responses

    async def events(self) -> list[StoredEvent]:
        return await self.log.read(after=0, limit=100_000)

    async def payloads(self, event_type: str | None = None) -> list[dict[str, Any]]:
        events = await self.events()
        return [orjson.loads(e.payload) for e in events if event_type in (None, e.event_type)]

    async def quarantined(self) -> list[dict[str, Any]]:
        """Quarantine rows, oldest first, with `errors` parsed."""
        engine = make_engine(self.location.url, role="reader", pg_schema=self.location.pg_schema)
        try:
            async with engine.connect() as conn:
                query = select(quarantine).order_by(quarantine.c.quarantine_id)
                rows = [dict(row._mapping) for row in (await conn.execute(query)).all()]
        finally:
            await engine.dispose()
        for row in rows:
            row["errors"] = orjson.loads(row["errors"])
        return rows


def settings_for(location: StoreLocation, **overrides: Any) -> IngestSettings:
    """Ingest settings pointing at a test store. These tests are not about durability: SQLite
    skips the fsync per commit (the crash tests use the default, FULL). The secret is given,
    so no data directory is made for one."""
    return IngestSettings(
        **{
            "log_url": location.url,
            "log_pg_schema": location.pg_schema or "stratlog_log",
            "sqlite_synchronous": "NORMAL",
            "secret_key": TEST_SECRET,
            **overrides,
        }
    )


@asynccontextmanager
async def running_ingest(
    location: StoreLocation,
    *,
    after_append: AfterAppend = no_hook,
    clock: FixedClock | None = None,
    **settings: Any,
) -> AsyncIterator[Ingest]:
    """The ingest app over `location`, started and stopped through its lifespan; its client
    sends an admin key."""
    clock = clock or FixedClock()
    ingest_settings = settings_for(location, **settings)
    headers = await key_headers(ingest_settings)
    app = create_app(ingest_settings, clock=clock, after_append=after_append)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers=headers
        ) as client:
            yield Ingest(client, app.state.log, location, clock)


class Receipts:
    """An after_append hook that remembers what it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[NewEvent], AppendReceipt]] = []

    async def __call__(self, events: Sequence[NewEvent], receipt: AppendReceipt) -> None:
        self.seen.append((list(events), receipt))
