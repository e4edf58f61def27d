"""The deployment's secret: from STRATLOG_SECRET_KEY, else generated once into the data
directory with mode 0600 (racing processes agree on one), never derivable across purposes;
no secret at all stops a process at startup with advice. And `stratlog serve`'s first start
writes an admin key to a 0600 file, once."""

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from read_api.app import create_app
from read_api.settings import ReadSettings
from schema.security.errors import SecretUnavailable
from schema.security.secrets import SECRET_FILE, derive_key, derived_keys, load_secret
from schema.settings import StoreSettings
from stratlog.credential_store import opened_credentials
from stratlog.first_start import ADMIN_KEY_FILE, first_start_admin_key

CONFIGURED = "x" * 40


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_configured_secret_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = StoreSettings(data_dir=tmp_path / "data", secret_key=SecretStr(CONFIGURED))

    assert load_secret(settings) == CONFIGURED.encode()
    assert not (tmp_path / "data").exists()


def test_a_missing_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = StoreSettings(data_dir=tmp_path / "data")

    first = load_secret(settings)
    again = load_secret(settings)

    assert first == again
    assert len(first) >= 32
    assert mode_of(tmp_path / "data" / SECRET_FILE) == 0o600
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [SECRET_FILE]


def test_processes_racing_to_create_the_secret_all_get_the_same_one(tmp_path: Path) -> None:
    settings = StoreSettings(data_dir=tmp_path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        secrets = set(pool.map(lambda _: load_secret(settings), range(32)))

    assert len(secrets) == 1
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary left behind


def test_sub_keys_differ_by_purpose_and_by_secret(tmp_path: Path) -> None:
    one = derived_keys(StoreSettings(data_dir=tmp_path, secret_key=SecretStr(CONFIGURED)))
    other = derived_keys(StoreSettings(data_dir=tmp_path, secret_key=SecretStr(CONFIGURED + "y")))

    assert one.pepper != one.signing_key
    assert one.pepper != other.pepper
    assert one.pepper == derive_key(CONFIGURED.encode(), "api-key-pepper")
    assert CONFIGURED not in repr(one)


def test_a_short_configured_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        StoreSettings(secret_key=SecretStr("short"))


async def test_a_process_with_no_secret_to_read_or_create_does_not_start(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    app = create_app(ReadSettings(data_dir=blocked / "data"))

    with pytest.raises(SecretUnavailable, match="Set STRATLOG_SECRET_KEY"):
        async with app.router.lifespan_context(app):
            pass


async def test_the_first_start_writes_a_working_admin_key_to_a_0600_file_once(
    tmp_path: Path,
) -> None:
    settings = StoreSettings(data_dir=tmp_path / "data")

    created = await first_start_admin_key(settings)
    second_start = await first_start_admin_key(settings)
    (tmp_path / "data" / ADMIN_KEY_FILE).rename(tmp_path / "moved.key")
    file_removed = await first_start_admin_key(settings)

    assert created is not None
    assert (second_start, file_removed) == (None, None)
    moved = tmp_path / "moved.key"
    assert mode_of(moved) == 0o600
    assert moved.read_text() == created.key + "\n"
    async with opened_credentials(settings) as store:
        record = await store.find_key(created.key)
    assert record is not None
    assert (record.scope, record.active, record.created_by) == ("admin", True, "serve")
