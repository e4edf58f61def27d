"""A generation's projection store: opened (tables created) or dropped, wherever it lives.

Locations come from `schema.generations.generation_location`, so the store a name opens here
is the one every reader opens. Dropping deletes the SQLite file with its WAL companions, or
the PostgreSQL schema with everything in it; it refuses a location that is the log's (a
misconfiguration must not cost the source of truth).
"""

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from projector.store import ProjectionStore
from schema.generations import GenerationLocation, generation_location
from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine


async def open_generation(settings: StoreSettings, name: str) -> ProjectionStore:
    """The projection store of generation `name`, its tables created if missing."""
    location = generation_location(settings, name)
    if location.pg_schema is None:
        _sqlite_path(location).parent.mkdir(parents=True, exist_ok=True)
    return await ProjectionStore.open(
        location.url, synchronous=settings.sqlite_synchronous, pg_schema=location.pg_schema
    )


async def drop_generation(settings: StoreSettings, name: str) -> None:
    """Delete generation `name`'s store (nothing happens when it is already gone)."""
    location = generation_location(settings, name)
    if _is_the_log(settings, location):
        raise ValueError(f"generation {name} is configured where the log is; not dropping it")
    if location.pg_schema is None:
        path = _sqlite_path(location)
        for companion in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + companion).unlink(missing_ok=True)
        return
    engine = make_engine(location.url, role="writer")
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{location.pg_schema}" CASCADE'))
    finally:
        await engine.dispose()


def _sqlite_path(location: GenerationLocation) -> Path:
    return Path(make_url(location.url).database or "")


def _is_the_log(settings: StoreSettings, location: GenerationLocation) -> bool:
    log_url = settings.resolved_log_url()
    if location.pg_schema is None:
        log_path = Path(make_url(log_url).database or "")
        return is_sqlite(log_url) and _sqlite_path(location).resolve() == log_path.resolve()
    same_database = make_url(log_url).database == make_url(location.url).database
    return not is_sqlite(log_url) and same_database and location.pg_schema == settings.log_pg_schema
