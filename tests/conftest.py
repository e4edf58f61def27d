"""Fixtures every test layer shares: isolated real stores (a SQLite file, a PostgreSQL schema)."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

PG_DSN = os.environ.get("STRATLOG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class StoreLocation:
    """A store for one test: SQLAlchemy URL plus, on PostgreSQL, the schema to use."""

    url: str
    pg_schema: str | None = None


def sqlalchemy_pg_url(dsn: str = PG_DSN) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


@asynccontextmanager
async def fresh_pg_schema() -> AsyncIterator[StoreLocation]:
    """A new schema in the test database, dropped on exit."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield StoreLocation(url=sqlalchemy_pg_url(), pg_schema=schema)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
def sqlite_location(tmp_path: Path) -> StoreLocation:
    return StoreLocation(url=f"sqlite+aiosqlite:///{tmp_path / 'log.sqlite3'}")


@pytest.fixture
async def pg_location() -> AsyncIterator[StoreLocation]:
    async with fresh_pg_schema() as location:
        yield location


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store_location(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreLocation]:
    """Each backend in turn."""
    if request.param == "sqlite":
        yield StoreLocation(url=f"sqlite+aiosqlite:///{tmp_path / 'log.sqlite3'}")
        return
    async with fresh_pg_schema() as location:
        yield location
