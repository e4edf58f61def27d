"""How every process opens a store: engine options per backend, so all connect alike.

Building an engine performs no I/O; connections open on first use. SQLite runs in WAL mode
with the configured `synchronous` level (FULL by default: an acknowledged append survives a
power cut) and a busy timeout; a *writer* engine starts every transaction with
`BEGIN IMMEDIATE` so two writing processes queue on the lock instead of failing on a lock
upgrade. PostgreSQL connections get the store's schema as their search path.
"""

from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from schema.settings import SqliteSynchronous

EngineRole = Literal["reader", "writer"]
BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str,
    *,
    role: EngineRole,
    synchronous: SqliteSynchronous = "FULL",
    pg_schema: str | None = None,
) -> AsyncEngine:
    """An async engine for `url` set up for `role` on its backend."""
    if is_sqlite(url):
        return _sqlite_engine(url, role=role, synchronous=synchronous)
    connect_args: dict[str, Any] = {}
    if pg_schema:
        connect_args["server_settings"] = {"search_path": pg_schema}
    return create_async_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_engine(url: str, *, role: EngineRole, synchronous: SqliteSynchronous) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if role == "writer" else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine
