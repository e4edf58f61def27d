"""`stratlog verify`: rebuild the projections in a scratch store and compare with the live one.

The command reads its options and reports; the work is projector/verify.py. Progress goes to
stderr; the comparison, one line per table (rows in each store, and the result) and a few
differing keys under each table that differs, goes to stdout. Exit codes: 0 only when every
table is identical; 1 when any differs; 2 when verify could not compare (a store
unreachable, or a live store built by other projection versions: rebuild first); 130 when
interrupted (the scratch store is dropped by the next rebuild or verify).
"""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from projector.scratch import LiveBuiltByOtherVersions
from projector.settings import ProjectorSettings
from projector.verify import SETTLE_S, TableComparison, VerifyReport, verify
from stratlog.build_progress import BuildDisplay
from stratlog.rebuild_command import BatchSize, DataDir, refuse_a_missing_log

DIFFERENT, CANNOT_VERIFY, INTERRUPTED = 1, 2, 130


def verify_projections(
    data_dir: DataDir = Path("stratlog-data"),
    batch_size: BatchSize = None,
    settle: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Seconds to wait for the live projector to reach the events the scratch "
            "store holds before comparing anyway.",
        ),
    ] = SETTLE_S,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress; print only the differences.")
    ] = False,
) -> None:
    """Rebuild the projections in a scratch store and compare them with the live ones."""
    settings = ProjectorSettings(data_dir=data_dir)
    refuse_a_missing_log("verify", settings)
    display = BuildDisplay(quiet=quiet)
    try:
        report = asyncio.run(
            verify(
                settings,
                batch_size=batch_size or settings.batch_size,
                on_progress=display,
                settle_s=settle,
            )
        )
    except (LiveBuiltByOtherVersions, DBAPIError, OSError) as exc:
        display.stop()
        typer.echo(f"verify: cannot compare: {exc}", err=True)
        raise typer.Exit(CANNOT_VERIFY) from exc
    except KeyboardInterrupt as exc:
        display.stop()
        typer.echo("verify interrupted", err=True)
        raise typer.Exit(INTERRUPTED) from exc
    display.stop()
    for line in report_lines(report, differences_only=quiet):
        typer.echo(line)
    if not report.identical:
        raise typer.Exit(DIFFERENT)


def report_lines(report: VerifyReport, *, differences_only: bool = False) -> list[str]:
    """The comparison as a table, then a verdict."""
    rate = report.events / report.build_seconds if report.build_seconds > 0 else 0.0
    lines = [
        f"verify: live generation {report.live} against scratch {report.shadow} "
        f"({report.events:,} events rebuilt in {report.build_seconds:.1f} s, {rate:,.0f} events/s)"
    ]
    shown = [t for t in report.tables if not (differences_only and t.same)]
    if shown:
        lines.append(f"{'table':<22}{'live rows':>12}{'rebuilt rows':>14}  result")
    for table in shown:
        lines.append(
            f"{table.table:<22}{table.live.rows:>12,}{table.shadow.rows:>14,}  "
            f"{'same' if table.same else 'DIFFERENT'}"
        )
        lines.extend(f"    {_describe(table, i)}" for i in range(len(table.keys)))
    different = [t.table for t in report.tables if not t.same]
    if not report.settled:
        lines.append(
            "verify: the live store did not reach the events the rebuild holds in time "
            "(is a projector running? is ingest still busy?)"
        )
    if different:
        lines.append(f"verify: {len(different)} of {len(report.tables)} tables differ")
    else:
        lines.append(f"verify: all {len(report.tables)} tables identical")
    return lines


def _describe(table: TableComparison, index: int) -> str:
    difference = table.keys[index]
    key = ", ".join(f"{name}={value!r}" for name, value in difference.key.items())
    where = {
        "only left": "only in the live store",
        "only right": "only in the rebuild",
        "differs": "differs",
    }
    return f"{key}: {where[difference.kind]}"
