"""The log store's tables, created by processes that may start before any ingest process.

The key and user commands, `serve`'s first start and the admin app all write to the log
store; they create its tables (and, on PostgreSQL, its schema) exactly as ingest does, by
opening the event log once, so whichever process starts first leaves the same store.
"""

from ingest_api.log_store import open_event_log
from schema.settings import StoreSettings
from schema.storage import is_sqlite


async def create_log_tables(settings: StoreSettings) -> None:
    """The log store `settings` name, with its tables (a SQLite file's directory too)."""
    url = settings.resolved_log_url()
    if is_sqlite(url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    pg_schema = None if is_sqlite(url) else settings.log_pg_schema
    log = await open_event_log(url, synchronous=settings.sqlite_synchronous, pg_schema=pg_schema)
    await log.close()
