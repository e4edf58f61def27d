"""Opening the stores replay reads, and reading the log a page at a time.

Replay and fingerprinting never write a store, and must not create one by mistake: a SQLite
URL pointing at a file that is not there (a mistyped `--data-dir`) is refused instead of
becoming a new empty database. The log is read by position in bounded pages, each in its
own short connection, so memory stays flat whatever the size and no read transaction is
held open while a slow target is being fed.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from projector.generations import read_live_generation
from replay.errors import StoreNotFound
from schema.generations import generation_location
from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine
from schema.tables import ingest_events

LogRow = tuple[int, str, str, datetime, str]  # position, event_id, event_type, event_utc, payload


def store_for_display(url: str) -> str:
    """A store URL fit to print: a SQLite file's path, any other URL without its password."""
    parsed = make_url(url)
    if is_sqlite(url):
        return str(Path(parsed.database or "").resolve())
    return parsed.render_as_string(hide_password=True)


def open_log_reader(settings: StoreSettings) -> AsyncEngine:
    """A reader engine on the log store `settings` name."""
    return _open_reader(settings.resolved_log_url(), settings, settings.log_pg_schema)


async def open_projection_reader(settings: StoreSettings) -> AsyncEngine:
    """A reader engine on the live generation of the projection store `settings` name (a
    rebuild may have swapped it; the log store names the live one)."""
    log = open_log_reader(settings)
    try:
        live = generation_location(settings, await read_live_generation(log))
    finally:
        await log.dispose()
    return _open_reader(live.url, settings, live.pg_schema or settings.projection_pg_schema)


def _open_reader(url: str, settings: StoreSettings, pg_schema: str) -> AsyncEngine:
    """A reader engine on an existing store (a missing SQLite file is not created)."""
    if is_sqlite(url):
        path = Path(make_url(url).database or "")
        if not path.is_file():
            raise StoreNotFound(f"no store at {path.resolve()} (wrong --data-dir?)")
    return make_engine(
        url,
        role="reader",
        synchronous=settings.sqlite_synchronous,
        pg_schema=None if is_sqlite(url) else pg_schema,
    )


async def log_rows(
    engine: AsyncEngine, where: ColumnElement[bool], *, after: int, page_size: int
) -> AsyncIterator[LogRow]:
    """The log's rows matching `where` after position `after`, in log order."""
    c = ingest_events.c
    while True:
        query = (
            select(c.position, c.event_id, c.event_type, c.event_utc, c.payload)
            .where(where, c.position > after)
            .order_by(c.position)
            .limit(page_size)
        )
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        for position, event_id, event_type, event_utc, payload in rows:
            yield position, event_id, event_type, event_utc, payload
        if len(rows) < page_size:
            return
        after = rows[-1][0]
