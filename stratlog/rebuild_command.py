"""`stratlog rebuild`: the projections rebuilt from the log in a new generation, swapped in.

The command reads its options and reports; the work is projector/rebuild.py (every
projection) or projector/run_rebuild.py (`--run`). Progress goes to stderr, the outcome to
stdout. Exit codes: 0 when the new generation is live (partitions that halted on an event
are listed); 1 when the rebuild failed (a store unreachable, the lease taken over by another
process): what was applied is kept and a rerun resumes it; 2 for what the operator must fix
first (an unknown run); 130 when interrupted (Ctrl-C): every batch committed is kept, and
`stratlog rebuild` again resumes from there.
"""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from projector.generations import LeaseLost
from projector.rebuild import (
    RETIRE_GRACE_S,
    BuiltElsewhere,
    RebuildReport,
    drop_replaced,
    rebuild,
)
from projector.run_rebuild import RunRebuildReport, UnknownRun, rebuild_run
from projector.scratch import LiveBuiltByOtherVersions
from projector.settings import ProjectorSettings
from schema.storage import is_sqlite
from stratlog.build_progress import BuildDisplay

FAILED, USAGE_ERROR, INTERRUPTED = 1, 2, 130

# Options `stratlog verify` shares.
DataDir = Annotated[
    Path,
    typer.Option(
        envvar="STRATLOG_DATA_DIR",
        help="Data directory of the stores (STRATLOG_LOG_URL and STRATLOG_PROJECTION_URL "
        "override their locations).",
    ),
]
BatchSize = Annotated[
    int | None,
    typer.Option(min=1, max=100_000, help="Events per transaction (STRATLOG_BATCH_SIZE)."),
]


def rebuild_projections(
    run: Annotated[
        str | None,
        typer.Option(
            "--run", metavar="RUN_ID", help="Rebuild only this run's rows, in the live store."
        ),
    ] = None,
    data_dir: DataDir = Path("stratlog-data"),
    batch_size: BatchSize = None,
    keep_previous: Annotated[
        bool,
        typer.Option(
            "--keep-previous",
            help="Leave the replaced generation on disk (the next rebuild prunes it) instead "
            f"of dropping it {RETIRE_GRACE_S:.0f} s after the swap.",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress, no summary; errors only.")
    ] = False,
) -> None:
    """Rebuild the projections from the log beside the live ones, then swap them in."""
    settings = ProjectorSettings(data_dir=data_dir)
    refuse_a_missing_log("rebuild", settings)
    if batch_size is not None:
        settings.batch_size = batch_size
    display = BuildDisplay(quiet=quiet)
    try:
        if run is not None:
            run_report = asyncio.run(rebuild_run(settings, run, batch_size=settings.batch_size))
            if not quiet:
                typer.echo(run_summary(run_report))
            return
        asyncio.run(_rebuild(settings, display, keep_previous=keep_previous))
    except (UnknownRun, LiveBuiltByOtherVersions) as exc:
        typer.echo(f"rebuild: {exc}", err=True)
        raise typer.Exit(USAGE_ERROR) from exc
    except BuiltElsewhere as exc:
        display.stop()
        typer.echo(f"rebuild: {exc.generation.name} was built by another process meanwhile")
    except (LeaseLost, DBAPIError, OSError) as exc:
        display.stop()
        typer.echo(f"rebuild failed: {exc}; `stratlog rebuild` again resumes it", err=True)
        raise typer.Exit(FAILED) from exc
    except KeyboardInterrupt as exc:
        display.stop()
        done = display.last
        kept = f" ({done.progress.applied_events:,} events at the last count)" if done else ""
        typer.echo(
            f"rebuild interrupted: every batch committed is kept{kept}; "
            "`stratlog rebuild` again resumes it",
            err=True,
        )
        raise typer.Exit(INTERRUPTED) from exc


async def _rebuild(
    settings: ProjectorSettings, display: BuildDisplay, *, keep_previous: bool
) -> None:
    try:
        report = await rebuild(
            settings, batch_size=settings.batch_size, on_progress=display, on_wait=display.waiting
        )
    finally:
        display.stop()
    if not display.quiet:
        typer.echo(summary(report))
        for partition in report.halted:
            typer.echo(f"  halted: {partition} (/api/status says where and why)")
    if keep_previous or not report.replaced:
        return
    replaced = ", ".join(report.replaced)
    display.note(f"dropping {replaced} in {RETIRE_GRACE_S:.0f} s, once readers have moved over")
    await drop_replaced(settings, report.replaced)


def refuse_a_missing_log(command: str, settings: ProjectorSettings) -> None:
    """Exit 2 when the log is a SQLite file that is not there (a mistyped --data-dir):
    opening it would create an empty one."""
    url = settings.resolved_log_url()
    path = Path(make_url(url).database or "")
    if is_sqlite(url) and not path.is_file():
        typer.echo(f"{command}: no log at {path.resolve()} (wrong --data-dir?)", err=True)
        raise typer.Exit(USAGE_ERROR)


def summary(report: RebuildReport) -> str:
    """One line: which generation is live now, what it replaced, how much work it took."""
    rate = report.applied_events / report.seconds if report.seconds > 0 else 0.0
    resumed = f" (resumed after {report.resumed_events:,})" if report.resumed_events else ""
    replaced = ", ".join(report.replaced) or "nothing"
    return (
        f"rebuild: {report.generation} is live, replacing {replaced}: {report.applied_events:,} "
        f"events{resumed} in {report.seconds:.1f} s ({rate:,.0f} events/s)"
    )


def run_summary(report: RunRebuildReport) -> str:
    return (
        f"rebuild: run {report.run_id} replaced in {report.live}: {report.events:,} events, "
        f"{report.rows:,} rows in {report.seconds:.1f} s"
    )
