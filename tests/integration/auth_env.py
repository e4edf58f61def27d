"""A deployment for the authentication tests: the ingest and the read app over one store.

Both apps run through their lifespans over the same log store and data directory (so the
same secret), with a projection store created, and each has a client that sends no
credential unless a request carries one. The clock is the test's, so tokens can expire.
No tests here: the module is imported by tests/integration/test_auth_*.py.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import FastAPI

from ingest_api.app import create_app as create_ingest_app
from ingest_api.settings import IngestSettings
from projector.store import ProjectionStore
from read_api.app import create_app as create_read_app
from read_api.settings import ReadSettings
from schema.security.http import API_KEY_HEADER
from schema.security.principals import Scope
from tests.conftest import StoreLocation, fresh_pg_schema
from tests.credentials import new_key
from tests.integration.ingest_harness import FixedClock

AppName = Literal["ingest", "read"]


@dataclass
class Deployment:
    """The two running apps, their clients, and the settings they share."""

    ingest: httpx.AsyncClient
    read: httpx.AsyncClient
    stores: dict[str, Any]
    clock: FixedClock

    def client(self, app: AppName) -> httpx.AsyncClient:
        return self.ingest if app == "ingest" else self.read

    async def key(self, scope: Scope) -> str:
        return await new_key(IngestSettings(**self.stores), scope)

    async def key_headers(self, scope: Scope) -> dict[str, str]:
        return {API_KEY_HEADER: await self.key(scope)}

    @asynccontextmanager
    async def another_read_app(self) -> AsyncIterator[httpx.AsyncClient]:
        """A second read process over the same stores (its own authenticator)."""
        app = create_read_app(ReadSettings(**self.stores), clock=self.clock)
        async with running(app, "http://read-2") as client:
            yield client


@asynccontextmanager
async def running(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def deployment(
    location: StoreLocation, data_dir: Path, **settings: Any
) -> AsyncIterator[Deployment]:
    """Ingest and read over `location`, the secret in `data_dir`."""
    async with AsyncExitStack() as stack:
        if location.pg_schema is None:
            projections = StoreLocation(f"sqlite+aiosqlite:///{data_dir / 'projections.sqlite3'}")
        else:
            projections = await stack.enter_async_context(fresh_pg_schema())
        stores: dict[str, Any] = {
            "data_dir": data_dir,
            "log_url": location.url,
            "log_pg_schema": location.pg_schema or "stratlog_log",
            "projection_url": projections.url,
            "projection_pg_schema": projections.pg_schema or "stratlog_projections",
            "sqlite_synchronous": "NORMAL",
            **settings,
        }
        store = await ProjectionStore.open(
            projections.url, synchronous="NORMAL", pg_schema=projections.pg_schema
        )
        await store.close()
        clock = FixedClock()
        ingest = create_ingest_app(IngestSettings(**stores), clock=clock)
        read = create_read_app(ReadSettings(**stores), clock=clock)
        ingest_client = await stack.enter_async_context(running(ingest, "http://ingest"))
        read_client = await stack.enter_async_context(running(read, "http://read"))
        yield Deployment(ingest_client, read_client, stores, clock)
