"""`stratlog keys create|list|revoke`: API keys for exporters, dashboards and operators.

The commands work on the log store the servers use (the data directory's, or
`STRATLOG_LOG_URL`) with the same deployment secret (`STRATLOG_SECRET_KEY`, or the data
directory's `secret.key`), so a key made here works on every server of the deployment. A
new key goes to stdout alone (`KEY=$(stratlog keys create --scope ingest)`), everything else
to stderr; it is never shown again. Exit codes: 0 done, 1 the store could not be reached,
2 what the operator must fix first (no such key, no log there, no secret).
"""

import asyncio
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ingest_api.log_store import StoreUnavailable
from schema.security.credentials import ApiKeyRecord, CredentialStore, NewKey
from schema.security.errors import CredentialsUnavailable, SecretUnavailable
from schema.settings import StoreSettings
from stratlog.credential_store import opened_credentials

FAILED, USAGE_ERROR = 1, 2
T = TypeVar("T")

keys = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)


class KeyScope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    ADMIN = "admin"


DataDir = Annotated[
    Path,
    typer.Option(
        envvar="STRATLOG_DATA_DIR",
        help="Data directory: its log store unless STRATLOG_LOG_URL names one, its secret "
        "unless STRATLOG_SECRET_KEY is set.",
    ),
]


@keys.command("create")
def create(
    scope: Annotated[
        KeyScope,
        typer.Option(
            case_sensitive=False,
            help="ingest: exporters; read: dashboards; admin: everything, keys included.",
        ),
    ],
    name: Annotated[str | None, typer.Option(help="What or who the key is for.")] = None,
    data_dir: DataDir = Path("stratlog-data"),
) -> None:
    """Create an API key and print it, once: it cannot be shown again."""
    settings = StoreSettings(data_dir=data_dir)
    label = name or f"{scope.value} key"

    async def work(store: CredentialStore) -> NewKey:
        return await store.create_key(scope.value, label, created_by="cli")

    created = run_on_credentials(settings, work)
    record = created.record
    typer.echo(
        f"Created {record.scope} key {record.key_id} ({record.name!r}) in "
        f"{_store_name(settings)}. Store it now: it cannot be shown again.",
        err=True,
    )
    typer.echo(created.key)


@keys.command("list")
def list_keys(data_dir: DataDir = Path("stratlog-data")) -> None:
    """List the API keys: id, name, scope, when created and revoked; never the keys."""
    settings = StoreSettings(data_dir=data_dir)
    refuse_a_missing_log("keys", settings)

    async def work(store: CredentialStore) -> list[ApiKeyRecord]:
        return await store.list_keys()

    typer.echo(table(run_on_credentials(settings, work)))


@keys.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (`stratlog keys list`).")],
    data_dir: DataDir = Path("stratlog-data"),
) -> None:
    """Revoke an API key: every server refuses it from its next request on."""
    settings = StoreSettings(data_dir=data_dir)
    refuse_a_missing_log("keys", settings)

    async def work(store: CredentialStore) -> ApiKeyRecord | None:
        return await store.revoke_key(key_id)

    record = run_on_credentials(settings, work)
    if record is None:
        typer.echo(f"keys: no key {key_id} (`stratlog keys list` shows them)", err=True)
        raise typer.Exit(USAGE_ERROR)
    typer.echo(f"Revoked {record.scope} key {record.key_id} ({record.name!r}).")


def table(records: list[ApiKeyRecord]) -> str:
    """The keys as aligned columns, oldest first."""
    rows = [("KEY_ID", "NAME", "SCOPE", "CREATED_UTC", "REVOKED_UTC")]
    for r in records:
        revoked = f"{r.revoked_utc:%Y-%m-%d %H:%M:%S}" if r.revoked_utc else "-"
        rows.append((r.key_id, r.name, r.scope, f"{r.created_utc:%Y-%m-%d %H:%M:%S}", revoked))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def run_on_credentials(
    settings: StoreSettings, work: Callable[[CredentialStore], Coroutine[Any, Any, T]]
) -> T:
    """Run `work` on the deployment's credentials; exit 1 or 2 with a message on failure."""

    async def opened() -> T:
        async with opened_credentials(settings) as store:
            return await work(store)

    try:
        return asyncio.run(opened())
    except SecretUnavailable as exc:
        typer.echo(f"keys: {exc}", err=True)
        raise typer.Exit(USAGE_ERROR) from exc
    except (StoreUnavailable, CredentialsUnavailable, DBAPIError, OSError) as exc:
        typer.echo(f"keys: the log store cannot be reached: {exc}", err=True)
        raise typer.Exit(FAILED) from exc


def refuse_a_missing_log(command: str, settings: StoreSettings) -> None:
    """Exit 2 when the log is the data directory's SQLite file and it is not there (a
    mistyped --data-dir): listing or revoking would create an empty store."""
    path = settings.data_dir / "log.sqlite3"
    if settings.log_url is None and not path.is_file():
        typer.echo(f"{command}: no log at {path.resolve()} (wrong --data-dir?)", err=True)
        raise typer.Exit(USAGE_ERROR)


def _store_name(settings: StoreSettings) -> str:
    return make_url(settings.resolved_log_url()).render_as_string(hide_password=True)
