"""API keys for tests that talk to the apps: every client authenticates, as a real one must.

`new_key` creates a key in the log store a process's settings name (tables and the data
directory's secret created if missing), so the app built from the same settings accepts it.
"""

from schema.security.http import API_KEY_HEADER
from schema.security.principals import Scope
from schema.settings import StoreSettings
from stratlog.credential_store import opened_credentials


async def new_key(settings: StoreSettings, scope: Scope = "admin", name: str = "tests") -> str:
    """A new API key of `scope` for the deployment `settings` describe."""
    async with opened_credentials(settings) as store:
        return (await store.create_key(scope, name, created_by="tests")).key


async def key_headers(settings: StoreSettings, scope: Scope = "admin") -> dict[str, str]:
    """Headers carrying a new key of `scope`."""
    return {API_KEY_HEADER: await new_key(settings, scope)}
