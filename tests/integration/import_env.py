"""What the import tests share: local imports into a projection env's log, and its quarantine.

The imports go through `LocalImports.opened`, exactly as `stratlog import` runs them: a log
store of their own on the same database as the env's log (as a separate process would), so
the env's projector reads what they appended. No tests here.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import func, select, text

from ingest_api.imports.local import LocalImports
from ingest_api.settings import IngestSettings
from schema.storage import make_engine
from schema.tables import ingest_events, quarantine
from tests.conftest import StoreLocation
from tests.integration.projection_env import ProjectionEnv


async def log_location(env: ProjectionEnv) -> StoreLocation:
    """Where the env's log is: its feed reads it."""
    engine = env.feed.engine
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return StoreLocation(url)
    async with engine.connect() as conn:
        schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
    return StoreLocation(url, schema)


def import_settings(location: StoreLocation, **overrides: Any) -> IngestSettings:
    return IngestSettings(
        **{
            "log_url": location.url,
            "log_pg_schema": location.pg_schema or "stratlog_log",
            "sqlite_synchronous": "NORMAL",
            **overrides,
        }
    )


@asynccontextmanager
async def local_imports(env: ProjectionEnv) -> AsyncIterator[LocalImports]:
    async with LocalImports.opened(import_settings(await log_location(env))) as imports:
        yield imports


async def quarantined(location: StoreLocation) -> list[dict[str, Any]]:
    """Quarantine rows, oldest first, with `errors` parsed."""
    rows = await _select(location, select(quarantine).order_by(quarantine.c.quarantine_id))
    for row in rows:
        row["errors"] = orjson.loads(row["errors"])
    return rows


async def log_head(location: StoreLocation) -> int:
    rows = await _select(location, select(func.count().label("n")).select_from(ingest_events))
    return int(rows[0]["n"])


async def _select(location: StoreLocation, query: Any) -> list[dict[str, Any]]:
    engine = make_engine(location.url, role="reader", pg_schema=location.pg_schema)
    try:
        async with engine.connect() as conn:
            return [dict(row._mapping) for row in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()
