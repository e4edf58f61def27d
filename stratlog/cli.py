"""The `stratlog` command: the entry point that wires settings, logging and the processes.

Options fall back to `STRATLOG_*` environment variables, and every other store setting
(`STRATLOG_LOG_URL`, `STRATLOG_SQLITE_SYNCHRONOUS`, ...) is read by the process settings
themselves, so the command and the Procfile processes are configured the same way. Logging
is configured here (schema/logs.py), or by the Procfile's app modules when they are the
process.
"""

import asyncio
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated

import structlog
import typer

from ingest_api.settings import IngestSettings
from projector.settings import ProjectorSettings
from schema.logs import configure_logging
from schema.security.errors import SecretUnavailable
from stratlog import embedded
from stratlog.demo import DemoError, run_demo
from stratlog.first_start import admin_key_path, first_start_admin_key, is_loopback
from stratlog.import_command import import_files
from stratlog.keys_command import keys
from stratlog.maintenance import resume_partition
from stratlog.rebuild_command import rebuild_projections
from stratlog.replay_command import replay
from stratlog.users_command import users
from stratlog.verify_command import verify_projections


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


app = typer.Typer(
    help="stratlog: an event-sourced store for algorithmic-trading strategy runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals would print settings, store URLs included
)


@app.callback()
def _root() -> None:
    """stratlog: an event-sourced store for algorithmic-trading strategy runs."""


@app.command()
def serve(
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="STRATLOG_DATA_DIR",
            help="Directory of the SQLite stores; created if absent.",
        ),
    ] = Path("stratlog-data"),
    host: Annotated[
        str, typer.Option(envvar="STRATLOG_HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="STRATLOG_PORT", help="TCP port to listen on.")
    ] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Once up, post the bundled recorded exporter sessions to this server, "
            "print what landed, then keep serving.",
        ),
    ] = False,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            envvar="STRATLOG_LOG_LEVEL",
            case_sensitive=False,  # the projector reads the same variable in upper case
            help="Least severe level logged.",
        ),
    ] = LogLevel.INFO,
    insecure_local: Annotated[
        bool,
        typer.Option(
            "--insecure-local",
            help="No authentication, for a quick try on this machine: every request may do "
            "everything. Refused unless --host is a loopback address.",
        ),
    ] = False,
) -> None:
    """Run the embedded default: ingest, read API and projector on one port, SQLite files."""
    configure_logging(log_level.value)
    settings = IngestSettings(data_dir=data_dir)
    if insecure_local:
        settings.auth_enabled = False
    secure_the_start(settings, host=host, port=port)
    structlog.get_logger("stratlog").info(
        "serve",
        data_dir=str(data_dir.resolve()),
        log_store=embedded.log_store_for_display(settings),
    )
    on_started = partial(run_demo, settings=settings, echo=typer.echo) if demo else None
    try:
        asyncio.run(
            embedded.serve(
                settings, host=host, port=port, log_level=log_level.value, on_started=on_started
            )
        )
    except embedded.StartupFailed as exc:
        raise typer.Exit(exc.code) from exc
    except DemoError as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        raise typer.Exit(1) from exc


def secure_the_start(settings: IngestSettings, *, host: str, port: int) -> None:
    """Refuse to serve without authentication beyond loopback; on a first start with it,
    create the admin key and show it once (stratlog/first_start.py)."""
    logger = structlog.get_logger("stratlog")
    if not settings.auth_enabled:
        if not is_loopback(host):
            typer.echo(
                f"serve: authentication is off (--insecure-local or STRATLOG_AUTH_ENABLED) "
                f"and --host {host} is not a loopback address: refusing to serve",
                err=True,
            )
            raise typer.Exit(2)
        logger.warning(
            "AUTHENTICATION IS OFF: every request may read, ingest and administer; "
            "for a local try only",
            host=host,
        )
        return
    try:
        created = asyncio.run(first_start_admin_key(settings))
    except SecretUnavailable as exc:
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(2) from exc
    if created is not None:
        path = admin_key_path(settings)
        typer.echo(
            f"\nFirst start: created an admin API key ({created.record.key_id}) and wrote it "
            f"to {path} (mode 0600).\nIt is shown only this once:\n\n    {created.key}\n\n"
            f'Send it as a header:  curl -H "X-API-Key: $(cat {path})" '
            f"http://{host}:{port}/api/v1/runs\n"
            "Create narrower keys with `stratlog keys create --scope ingest|read`.\n"
        )


app.command()(replay)
app.command("import")(import_files)
app.command("rebuild")(rebuild_projections)
app.command("verify")(verify_projections)
app.add_typer(keys, name="keys")
app.add_typer(users, name="users")

projector_commands = typer.Typer(help="Projector maintenance.", no_args_is_help=True)
app.add_typer(projector_commands, name="projector")


@projector_commands.command()
def resume(
    partition: Annotated[str, typer.Argument(help='A run id, or "catalog".')],
    data_dir: Annotated[
        Path,
        typer.Option(envvar="STRATLOG_DATA_DIR", help="Directory of the SQLite stores."),
    ] = Path("stratlog-data"),
) -> None:
    """Clear a halted partition's error so the projector retries it (after a fix)."""
    settings = ProjectorSettings(data_dir=data_dir)
    if asyncio.run(resume_partition(settings, partition)):
        typer.echo(f"{partition}: resumed; the next ring or sweep retries it")
    else:
        typer.echo(f"{partition}: not halted, nothing to do", err=True)
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()
