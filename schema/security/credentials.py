"""The credentials in the log store: API keys and users, read and written through one class.

Every process that authenticates holds a `CredentialStore` and looks a presented key up on
every request (one primary-key query), so a revocation through any process holds on every
other at once; nothing is cached. Driver errors, and a SQLite log file that does not exist
yet (a read must never create it), become `CredentialsUnavailable`. The per-request key
check goes through `key_lookup` (one round trip).
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schema.security.api_keys import KeyHasher, new_key, parse_key
from schema.security.errors import CredentialsUnavailable, UsernameTaken
from schema.security.key_lookup import EngineKeyLookup, KeyLookup, KeyRow, SqliteKeyLookup
from schema.security.principals import Role, Scope
from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine
from schema.tables import api_keys, users

Clock = Callable[[], datetime]
_DRIVER_ERRORS = (DBAPIError, OSError, TimeoutError)


@dataclass(frozen=True)
class ApiKeyRecord:
    """A key as stored: everything but the key itself."""

    key_id: str
    name: str
    scope: Scope
    created_utc: datetime
    created_by: str
    revoked_utc: datetime | None
    key_hash: str = field(repr=False)

    @property
    def active(self) -> bool:
        return self.revoked_utc is None


@dataclass(frozen=True)
class NewKey:
    """A key just created: the only time the key itself exists outside its holder."""

    record: ApiKeyRecord
    key: str = field(repr=False)


@dataclass(frozen=True)
class UserRecord:
    username: str
    role: Role
    created_utc: datetime
    created_by: str
    password_hash: str = field(repr=False)


def credential_engines(settings: StoreSettings) -> tuple[AsyncEngine, AsyncEngine]:
    """A reader and a writer engine on the log store (one pool on PostgreSQL); no I/O."""
    url = settings.resolved_log_url()
    if is_sqlite(url):
        synchronous = settings.sqlite_synchronous
        reader = make_engine(url, role="reader", synchronous=synchronous)
        return reader, make_engine(url, role="writer", synchronous=synchronous)
    engine = make_engine(url, role="writer", pg_schema=settings.log_pg_schema)
    return engine, engine


class CredentialStore:
    """Keys and users over a reader and a writer engine on the log store."""

    def __init__(
        self,
        reader: AsyncEngine,
        writer: AsyncEngine,
        hasher: KeyHasher,
        *,
        clock: Clock,
        lookup: KeyLookup | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._hasher = hasher
        self._clock = clock
        self._lookup = lookup or EngineKeyLookup(reader)

    @classmethod
    def open(cls, settings: StoreSettings, hasher: KeyHasher, *, clock: Clock) -> "CredentialStore":
        """A store over new engines on the log store `settings` name (no I/O yet)."""
        reader, writer = credential_engines(settings)
        database = reader.url.database
        lookup: KeyLookup = (
            SqliteKeyLookup(Path(database))
            if reader.url.get_backend_name() == "sqlite" and database
            else EngineKeyLookup(reader)
        )
        return cls(reader, writer, hasher, clock=clock, lookup=lookup)

    async def close(self) -> None:
        await self._lookup.close()
        await self._reader.dispose()
        if self._writer is not self._reader:
            await self._writer.dispose()

    async def create_key(self, scope: Scope, name: str, *, created_by: str) -> NewKey:
        issued = new_key()
        row = {
            "key_id": issued.key_id,
            "name": name,
            "scope": scope,
            "key_hash": self._hasher.hash(issued.key),
            "created_utc": self._clock(),
            "created_by": created_by,
            "revoked_utc": None,
        }
        async with self._writing() as conn:
            await conn.execute(insert(api_keys).values(row))
        return NewKey(_key_record(row), issued.key)

    async def check_key(self, presented: str) -> KeyRow | None:
        """What the authenticator needs of the key `presented` is (revoked or not), in one
        query; None when it is no key of ours."""
        parsed = parse_key(presented)
        if parsed is None:
            return None
        row = await self._lookup.row(parsed.key_id)
        if row is None or not self._hasher.matches(parsed.key, row.key_hash):
            return None
        return row

    async def find_key(self, presented: str) -> ApiKeyRecord | None:
        """The stored key `presented` is, revoked or not; None for anything else."""
        parsed = parse_key(presented)
        if parsed is None:
            return None
        query = select(api_keys).where(api_keys.c.key_id == parsed.key_id)
        async with self._reading() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None or not self._hasher.matches(parsed.key, row["key_hash"]):
            return None
        return _key_record(row)

    async def list_keys(self) -> list[ApiKeyRecord]:
        query = select(api_keys).order_by(api_keys.c.created_utc, api_keys.c.key_id)
        async with self._reading() as conn:
            return [_key_record(row) for row in (await conn.execute(query)).mappings()]

    async def revoke_key(self, key_id: str) -> ApiKeyRecord | None:
        """Revoke a key (a revoked one keeps its first revocation time); None if unknown."""
        revoke = (
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_utc.is_(None))
            .values(revoked_utc=self._clock())
        )
        async with self._writing() as conn:
            await conn.execute(revoke)
            row = (
                (await conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)))
                .mappings()
                .first()
            )
        return None if row is None else _key_record(row)

    async def has_active_key(self, scope: Scope) -> bool:
        query = select(api_keys.c.key_id).where(
            api_keys.c.scope == scope, api_keys.c.revoked_utc.is_(None)
        )
        async with self._reading() as conn:
            return (await conn.execute(query.limit(1))).first() is not None

    async def create_user(
        self,
        username: str,
        password_hash: str,
        role: Role,
        *,
        created_by: str,
        only_if_first: bool = False,
    ) -> UserRecord | None:
        """Add a user; with `only_if_first`, only when there is none yet (else None).

        The check and the insert are one transaction under the table's write lock, so two
        first registrations racing make one user, not two.
        """
        row = {
            "username": username,
            "password_hash": password_hash,
            "role": role,
            "created_utc": self._clock(),
            "created_by": created_by,
        }
        try:
            async with self._writing() as conn:
                if only_if_first:
                    if conn.dialect.name == "postgresql":
                        await conn.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
                    if await _count_users(conn):
                        return None
                await conn.execute(insert(users).values(row))
        except IntegrityError as exc:
            raise UsernameTaken(f"the user {username!r} exists already") from exc
        return _user_record(row)

    async def find_user(self, username: str) -> UserRecord | None:
        query = select(users).where(users.c.username == username)
        async with self._reading() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _user_record(row)

    async def count_users(self) -> int:
        async with self._reading() as conn:
            return await _count_users(conn)

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        _refuse_missing_sqlite_file(self._reader)
        try:
            async with self._reader.connect() as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            raise CredentialsUnavailable("the credentials cannot be read; retry later") from exc

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        _refuse_missing_sqlite_file(self._writer)
        try:
            async with self._writer.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except _DRIVER_ERRORS as exc:
            raise CredentialsUnavailable("the credentials cannot be written; retry later") from exc


async def _count_users(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())


def _refuse_missing_sqlite_file(engine: AsyncEngine) -> None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if not Path(str(url.database)).exists():
        raise CredentialsUnavailable("the log store has not been created yet")


def _key_record(row: Any) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=row["key_id"],
        name=row["name"],
        scope=cast(Scope, row["scope"]),
        created_utc=row["created_utc"],
        created_by=row["created_by"],
        revoked_utc=row["revoked_utc"],
        key_hash=row["key_hash"],
    )


def _user_record(row: Any) -> UserRecord:
    return UserRecord(
        username=row["username"],
        role=cast(Role, row["role"]),
        created_utc=row["created_utc"],
        created_by=row["created_by"],
        password_hash=row["password_hash"],
    )
