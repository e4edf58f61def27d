"""`stratlog keys` and `stratlog users` on a real store: a key is printed once, alone on
stdout, and works; lists never show a key; a revoked key is listed as such; a user's
password is asked for, checked against the rules and stored hashed."""

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from schema.security.accounts import PASSWORDS
from schema.security.credentials import ApiKeyRecord, UserRecord
from schema.settings import StoreSettings
from stratlog.cli import app
from stratlog.credential_store import opened_credentials
from tests.conftest import StoreLocation


def stratlog(settings: StoreSettings, *args: str, stdin: str | None = None) -> Result:
    env = {}
    if settings.log_url:  # PostgreSQL: the store from the environment, as operators set it
        env = {
            "STRATLOG_LOG_URL": settings.log_url,
            "STRATLOG_LOG_PG_SCHEMA": settings.log_pg_schema,
        }
    return CliRunner().invoke(
        app, [*args, "--data-dir", str(settings.data_dir)], input=stdin, env=env
    )


def stored_key(settings: StoreSettings, key: str) -> ApiKeyRecord | None:
    async def find() -> ApiKeyRecord | None:
        async with opened_credentials(settings) as store:
            return await store.find_key(key)

    return asyncio.run(find())


def stored_user(settings: StoreSettings, username: str) -> UserRecord | None:
    async def find() -> UserRecord | None:
        async with opened_credentials(settings) as store:
            return await store.find_user(username)

    return asyncio.run(find())


@pytest.fixture
def settings(store_location: StoreLocation, tmp_path: Path) -> StoreSettings:
    if store_location.pg_schema is None:
        return StoreSettings(data_dir=tmp_path / "data")
    return StoreSettings(
        data_dir=tmp_path / "data",
        log_url=store_location.url,
        log_pg_schema=store_location.pg_schema,
    )


def test_a_created_key_is_printed_once_alone_and_works(settings: StoreSettings) -> None:
    created = stratlog(settings, "keys", "create", "--scope", "ingest", "--name", "exporter-1")

    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert "cannot be shown again" in created.stderr
    record = stored_key(settings, key)
    assert record is not None
    assert (record.scope, record.name, record.created_by) == ("ingest", "exporter-1", "cli")
    assert record.key_id in created.stderr


def test_keys_are_listed_without_the_key_and_revoked_by_id(settings: StoreSettings) -> None:
    key = stratlog(settings, "keys", "create", "--scope", "read").stdout.strip()
    key_id = key.split("_")[1]

    revoked = stratlog(settings, "keys", "revoke", key_id)
    listed = stratlog(settings, "keys", "list")
    unknown = stratlog(settings, "keys", "revoke", "0123456789ab")

    assert revoked.exit_code == 0, revoked.output
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.splitlines()
    assert header.split() == ["KEY_ID", "NAME", "SCOPE", "CREATED_UTC", "REVOKED_UTC"]
    assert row.split()[:4] == [key_id, "read", "key", "read"]
    assert row.split()[-1] != "-"  # its revocation time
    assert key not in listed.output
    assert unknown.exit_code == 2
    record = stored_key(settings, key)
    assert record is not None
    assert not record.active


def test_listing_keys_in_a_data_dir_with_no_log_is_a_usage_error(tmp_path: Path) -> None:
    listed = stratlog(StoreSettings(data_dir=tmp_path / "typo"), "keys", "list")

    assert listed.exit_code == 2
    assert "no log at" in listed.stderr
    assert not (tmp_path / "typo").exists()


def test_a_user_is_created_with_a_hidden_confirmed_password_stored_hashed(
    settings: StoreSettings,
) -> None:
    created = stratlog(
        settings, "users", "create", "ann", "--role", "admin", stdin="s3cret-pass\ns3cret-pass\n"
    )

    assert created.exit_code == 0, created.output
    assert "s3cret-pass" not in created.output
    user = stored_user(settings, "ann")
    assert user is not None
    assert user.role == "ADMIN"
    assert PASSWORDS.verify(user.password_hash, "s3cret-pass")


@pytest.mark.parametrize(
    ("username", "stdin", "message"),
    [
        ("ann", "short\n", "at least 8 characters"),
        ("ann bob", "long enough\n", "a username is"),
    ],
)
def test_a_weak_password_or_a_bad_username_makes_no_user(
    tmp_path: Path, username: str, stdin: str, message: str
) -> None:
    settings = StoreSettings(data_dir=tmp_path / "data")

    refused = stratlog(settings, "users", "create", username, "--password-stdin", stdin=stdin)

    assert refused.exit_code == 2
    assert message in refused.stderr
    assert not (tmp_path / "data").exists()


def test_a_taken_username_is_a_usage_error(tmp_path: Path) -> None:
    settings = StoreSettings(data_dir=tmp_path / "data")
    args = ("users", "create", "ann", "--password-stdin")

    first = stratlog(settings, *args, stdin="long enough\n")
    again = stratlog(settings, *args, stdin="long enough\n")

    assert first.exit_code == 0, first.output
    assert again.exit_code == 2
    assert "exists already" in again.stderr
