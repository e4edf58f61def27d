"""Connections to the stores the read API serves from, with driver errors translated.

Driver errors (a store down, its tables not created yet) become `StoreUnavailable` (503)
here, at the one place every route opens a connection.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from read_api.errors import StoreUnavailable

DRIVER_ERRORS = (DBAPIError, OSError, TimeoutError)


@asynccontextmanager
async def reading(engine: AsyncEngine, store: str = "projection") -> AsyncIterator[AsyncConnection]:
    """A connection to `store` ("projection" or "log"); driver errors become 503s."""
    try:
        async with engine.connect() as conn:
            yield conn
    except DRIVER_ERRORS as exc:
        raise StoreUnavailable(store, str(exc)) from exc
