"""The credential store for the commands that manage keys and users, and for `serve`.

Opening it creates the log store's tables when they do not exist yet (a fresh data
directory, a new PostgreSQL schema), as the ingest process would, then opens the credentials
with the deployment's secret: the same one the servers use, so keys made here work there.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from schema.security.api_keys import KeyHasher
from schema.security.credentials import CredentialStore
from schema.security.secrets import derived_keys
from schema.settings import StoreSettings
from stratlog.log_tables import create_log_tables


def utc_now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def opened_credentials(settings: StoreSettings) -> AsyncIterator[CredentialStore]:
    """The credentials of the log store `settings` name, tables created if missing.

    Raises `SecretUnavailable` when there is no secret, `StoreUnavailable` when the log
    store cannot be opened.
    """
    await create_log_tables(settings)
    store = CredentialStore.open(settings, KeyHasher(derived_keys(settings).pepper), clock=utc_now)
    try:
        yield store
    finally:
        await store.close()
