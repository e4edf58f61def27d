"""How the authenticator finds a presented key's row on every request, in one round trip.

Keys are looked up per request so that a revocation holds at once on every process. On
SQLite, the pooled SQLAlchemy path costs several aiosqlite round trips a lookup (check-out,
BEGIN, the query, ROLLBACK), which measured more than the rest of a small ingest request
(docs/adr/0003-authentication.md); one read-only connection kept open answers in one. Each
statement on it is its own read transaction (autocommit, WAL), so the next lookup sees a
key another process revoked. It never creates the file (`mode=ro`), and is reopened after a
failure. On PostgreSQL the engine's pool answers in one round trip already.
"""

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import aiosqlite
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from schema.security.errors import CredentialsUnavailable
from schema.security.principals import Scope
from schema.storage import BUSY_TIMEOUT_MS
from schema.tables import api_keys

_BY_ID = select(api_keys.c.scope, api_keys.c.key_hash, api_keys.c.revoked_utc.is_not(None)).where(
    api_keys.c.key_id == bindparam("key_id")
)


@dataclass(frozen=True)
class KeyRow:
    """What checking a key needs from its row."""

    key_id: str
    scope: Scope
    key_hash: str
    revoked: bool


class KeyLookup(Protocol):
    async def row(self, key_id: str) -> KeyRow | None: ...

    async def close(self) -> None: ...


class EngineKeyLookup:
    """Through the engine's pool (PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def row(self, key_id: str) -> KeyRow | None:
        try:
            async with self._engine.connect() as conn:
                found = (await conn.execute(_BY_ID, {"key_id": key_id})).first()
        except (DBAPIError, OSError, TimeoutError) as exc:
            raise CredentialsUnavailable("the credentials cannot be read; retry later") from exc
        if found is None:
            return None
        return KeyRow(key_id, cast(Scope, found[0]), found[1], bool(found[2]))

    async def close(self) -> None:
        """The engine is the store's to dispose of."""


class SqliteKeyLookup:
    """Over one read-only aiosqlite connection to the log file, opened on first use."""

    _SQL = str(_BY_ID.compile(dialect=sqlite.dialect()))  # "… WHERE api_keys.key_id = ?"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()

    async def row(self, key_id: str) -> KeyRow | None:
        try:
            connection = await self._connected()
            rows = await connection.execute_fetchall(self._SQL, (key_id,))
        except (sqlite3.Error, OSError) as exc:
            await self.close()  # reopened by the next lookup
            raise CredentialsUnavailable("the credentials cannot be read; retry later") from exc
        for scope, key_hash, revoked in rows:
            return KeyRow(key_id, cast(Scope, scope), key_hash, bool(revoked))
        return None

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def _connected(self) -> aiosqlite.Connection:
        async with self._opening:
            if self._connection is None:
                # A failed open leaves aiosqlite's thread behind, to fail later on a closed
                # loop: a missing file (no ingest has run yet) is refused before opening.
                if not self._path.is_file():
                    raise OSError(f"{self._path} does not exist yet")
                uri = f"{self._path.resolve().as_uri()}?mode=ro"
                connection = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                try:
                    await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                except sqlite3.Error:
                    await connection.close()
                    raise
                self._connection = connection
            return self._connection
