"""The `stratlog` command: the entry point that wires settings, logging and the processes.

Options fall back to `STRATLOG_*` environment variables, and every other store setting
(`STRATLOG_LOG_URL`, `STRATLOG_SQLITE_SYNCHRONOUS`, ...) is read by the process settings
themselves, so the command and the Procfile processes are configured the same way. Logging
is configured here and nowhere else.
"""

import asyncio
import logging
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated

import structlog
import typer

from ingest_api.settings import IngestSettings
from projector.settings import ProjectorSettings
from stratlog import embedded
from stratlog.demo import DemoError, run_demo
from stratlog.import_command import import_files
from stratlog.maintenance import resume_partition
from stratlog.rebuild_command import rebuild_projections
from stratlog.replay_command import replay
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
) -> None:
    """Run the embedded default: ingest, read API and projector on one port, SQLite files."""
    configure_logging(log_level.value)
    settings = IngestSettings(data_dir=data_dir)
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


app.command()(replay)
app.command("import")(import_files)
app.command("rebuild")(rebuild_projections)
app.command("verify")(verify_projections)

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


def configure_logging(level: str) -> None:
    """One line per record on stderr, for structlog and stdlib loggers (uvicorn) alike."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Plain tracebacks: rich's (the default once rich is installed) prints every
            # frame's locals, thousands of lines rendered on the event loop, settings included.
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO; the demo's own summary says what matters.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))


def main() -> None:
    """Console-script entry point."""
    app()
