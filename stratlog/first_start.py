"""`stratlog serve`'s first start: an admin key, so the embedded default is secure and easy.

When the store has no active admin key and the data directory no `admin.key`, serve
creates an admin key, writes it to `<data-dir>/admin.key` (mode 0600 from its creation on)
and prints it once. Later starts find one or the other and do nothing: deleting the file
never mints a second admin key behind the operator's back (`stratlog keys create --scope
admin` does, on purpose). `--insecure-local` skips all of this: authentication is off.
"""

import ipaddress
from pathlib import Path

from schema.security.credentials import NewKey
from schema.security.secrets import write_private
from schema.settings import StoreSettings
from stratlog.credential_store import opened_credentials

ADMIN_KEY_FILE = "admin.key"


def admin_key_path(settings: StoreSettings) -> Path:
    return settings.data_dir / ADMIN_KEY_FILE


async def first_start_admin_key(settings: StoreSettings) -> NewKey | None:
    """The admin key created on a deployment's first start, or None when there is one."""
    path = admin_key_path(settings)
    if path.exists():
        return None
    async with opened_credentials(settings) as store:
        if await store.has_active_key("admin"):
            return None
        created = await store.create_key("admin", "first start (admin.key)", created_by="serve")
        try:
            write_private(path, created.key + "\n")
        except OSError:
            await store.revoke_key(created.record.key_id)  # never an admin key nobody holds
            raise
    return created


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False
