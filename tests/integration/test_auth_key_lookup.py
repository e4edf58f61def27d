"""The per-request key lookup on SQLite: one connection kept open that never creates the log
file, sees a revocation committed by another connection at once, and recovers once a store
that could not be read can be."""

from pathlib import Path

import pytest

from schema.security.errors import CredentialsUnavailable
from schema.security.key_lookup import SqliteKeyLookup
from schema.settings import StoreSettings
from stratlog.credential_store import opened_credentials


async def test_a_missing_log_is_unavailable_then_found_once_created(tmp_path: Path) -> None:
    settings = StoreSettings(data_dir=tmp_path)
    lookup = SqliteKeyLookup(tmp_path / "log.sqlite3")
    try:
        with pytest.raises(CredentialsUnavailable):
            await lookup.row("0123456789ab")
        assert not (tmp_path / "log.sqlite3").exists()

        async with opened_credentials(settings) as store:
            created = await store.create_key("read", "k", created_by="tests")
        key_id = created.record.key_id
        before = await lookup.row(key_id)
        async with opened_credentials(settings) as store:
            await store.revoke_key(key_id)
        after = await lookup.row(key_id)
        unknown = await lookup.row("0123456789ab")
    finally:
        await lookup.close()

    assert before is not None
    assert (before.scope, before.revoked) == ("read", False)
    assert after is not None
    assert after.revoked
    assert unknown is None
