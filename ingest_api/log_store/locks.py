"""The log's write lock, per backend: what serializes appends across processes.

SQLite needs nothing more than the writer engine's `BEGIN IMMEDIATE` (one writer per
database file). PostgreSQL takes a transaction-level advisory lock keyed by the log's schema:
it is released only after commit, when the transaction is already visible, so the next
appender reads a head that includes it and every reader sees positions appear in order.
"""

import hashlib
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class WriteLock(Protocol):
    async def acquire(self, conn: AsyncConnection) -> None:
        """Block until this transaction may append; held until it ends."""
        ...


class SqliteWriteLock:
    """Already held: the writer engine opened the transaction with BEGIN IMMEDIATE."""

    async def acquire(self, conn: AsyncConnection) -> None:
        return None


class PostgresAdvisoryLock:
    """pg_advisory_xact_lock on a key derived from the log's schema name."""

    def __init__(self, scope: str) -> None:
        digest = hashlib.blake2b(f"stratlog.append:{scope}".encode(), digest_size=8).digest()
        self.key = int.from_bytes(digest, "big", signed=True)

    async def acquire(self, conn: AsyncConnection) -> None:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.key})
