"""Connections to the stores the read API serves from, with driver errors translated.

Driver errors (a store down, its tables not created yet) become `StoreUnavailable` (503)
here, at the one place every route opens a connection. A SQLite store whose file does not
exist is unavailable too, and is never created by a read: SQLite would make an empty file
(and a failed open leaves the driver's thread behind).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from read_api.errors import StoreUnavailable

DRIVER_ERRORS = (DBAPIError, OSError, TimeoutError)


@asynccontextmanager
async def reading(engine: AsyncEngine, store: str = "projection") -> AsyncIterator[AsyncConnection]:
    """A connection to `store` ("projection" or "log"); driver errors become 503s."""
    missing = _missing_sqlite_file(engine)
    if missing is not None:
        raise StoreUnavailable(store, f"{missing} does not exist yet")
    try:
        async with engine.connect() as conn:
            yield conn
    except DRIVER_ERRORS as exc:
        raise StoreUnavailable(store, str(exc)) from exc


def _missing_sqlite_file(engine: AsyncEngine) -> str | None:
    """The path of the engine's SQLite file when it does not exist (a stat: microseconds)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return None if Path(str(url.database)).exists() else str(url.database)
