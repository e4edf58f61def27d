"""The read app over a projection_env's stores, driven over real HTTP (httpx ASGITransport)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from read_api.app import create_app
from read_api.dependencies import Clock, get_stores, utc_now
from read_api.settings import ReadSettings
from read_api.status import StatusStores
from tests.credentials import key_headers
from tests.integration.projection_env import ProjectionEnv


@dataclass
class Api:
    """A running read app and the stores it reads."""

    env: ProjectionEnv
    client: httpx.AsyncClient

    async def get(self, path: str, **params: Any) -> Any:
        """The JSON of a GET that must succeed."""
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def walk(self, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list, page by page."""
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(100):
            page = await self.get(
                path, limit=limit, **({"cursor": cursor} if cursor else {}), **params
            )
            assert len(page["items"]) <= limit
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("pagination does not end")


@asynccontextmanager
async def read_api_over(
    env: ProjectionEnv,
    tmp_path: Path,
    clock: Clock = utc_now,
    settings: ReadSettings | None = None,
) -> AsyncIterator[Api]:
    """The read app, started through its lifespan, reading `env`'s log and projections; its
    client sends a read key."""
    settings = settings or ReadSettings(data_dir=tmp_path)
    headers = await key_headers(settings, "read")
    app = create_app(settings, clock=clock)
    stores = StatusStores(log=env.feed.engine, projections=env.store.reader)
    app.dependency_overrides[get_stores] = lambda: stores
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://read", headers=headers
        ) as client:
            yield Api(env, client)
