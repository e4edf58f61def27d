"""`stratlog import FILE...` and `stratlog import --watch DIR`: files into the log store.

The command appends straight to the log store of the data directory (or `STRATLOG_LOG_URL`)
through `ingest_api.imports.local.LocalImports`; no server needs to run. Each file gets a report on
stdout (items, new, duplicate, rejected per table), or one JSON line with `--json`; a
progress bar draws on stderr when it is a terminal. `--watch DIR` polls a folder and files
each import away with its report (ingest_api/imports/folder.py says how). Exit codes: 0 when
every file was imported (rejected rows are quarantined and reported, not a failure); 1 when a
file was not an import format or could not be read to its end; 130 when interrupted.
"""

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from ingest_api.imports.errors import UnsupportedFile
from ingest_api.imports.folder import FolderWatch
from ingest_api.imports.job import OnProgress
from ingest_api.imports.local import LocalImports
from ingest_api.imports.model import ImportRecord, ImportStatus, ProgressUnit, Via, totals
from ingest_api.imports.report import ImportReport
from ingest_api.log_store import LogStoreError
from ingest_api.settings import IngestSettings
from schema.logs import configure_logging

USAGE_ERROR, FAILED, INTERRUPTED = 2, 1, 130
MIB = 1024 * 1024


def import_files(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Exporter .sqlite exports or NDJSON(.gz) files of canonical events.",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="STRATLOG_DATA_DIR",
            help="Data directory whose log is appended to (STRATLOG_LOG_URL overrides it).",
        ),
    ] = Path("stratlog-data"),
    watch: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            file_okay=False,
            exists=True,
            help="Keep importing files dropped into DIR; each goes to DIR/imported/ or "
            "DIR/failed/ with its report. Stop with Ctrl-C.",
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option(min=0.05, help="With --watch: seconds between polls.")
    ] = 1.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON report per line instead of a table.")
    ] = False,
) -> None:
    """Import exporter .sqlite exports or NDJSON(.gz) event files into the log."""
    configure_logging("warning")  # the reports say what happened; warnings still show
    if not files and watch is None:
        typer.echo("import: give FILE... or --watch DIR", err=True)
        raise typer.Exit(USAGE_ERROR)
    settings = IngestSettings(data_dir=data_dir)
    out = _Output(as_json=as_json)
    try:
        failures = asyncio.run(_import_all(settings, files or [], watch, interval, out))
    except KeyboardInterrupt as exc:
        typer.echo("import interrupted; importing the file again completes it", err=True)
        raise typer.Exit(INTERRUPTED) from exc
    except LogStoreError as exc:
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(FAILED) from exc
    if failures:
        raise typer.Exit(FAILED)


async def _import_all(
    settings: IngestSettings, files: list[Path], watch: Path | None, interval: float, out: "_Output"
) -> int:
    failures = 0
    async with LocalImports.opened(settings) as imports:
        for path in files:
            record, error = await _import_one(imports, path, Via.CLI, out)
            failures += out.report(path, record, error)
        if watch is not None:
            await _watch(imports, watch, interval, out)
    return failures


async def _watch(imports: LocalImports, folder: Path, interval: float, out: "_Output") -> None:
    """Poll `folder` until stopped (Ctrl-C, or SIGTERM as a service manager sends it)."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    out.note(f"watching {folder} every {interval:g} s; Ctrl-C to stop")
    try:
        await _poll(imports, FolderWatch(folder), interval, out)
    except asyncio.CancelledError:  # stopping is how a watch ends: a normal exit
        out.note(f"stopped watching {folder}")


async def _poll(imports: LocalImports, state: FolderWatch, interval: float, out: "_Output") -> None:
    while True:
        for path in await asyncio.to_thread(state.ready):
            record, error = await _import_one(imports, path, Via.WATCH, out)
            if record is not None and record.status is ImportStatus.INTERRUPTED:
                continue  # stays in the folder: imported again next time
            completed = record is not None and record.status is ImportStatus.COMPLETED
            moved = await asyncio.to_thread(
                state.file_away,
                path,
                _report_file(path, record, error),
                imported=completed,
                now=datetime.now(UTC),
            )
            out.report(path, record, error, moved_to=moved)
        await asyncio.sleep(interval)


async def _import_one(
    imports: LocalImports, path: Path, via: Via, out: "_Output"
) -> tuple[ImportRecord | None, str | None]:
    """The file's final record, or (None, why) when it is not an import format."""
    with out.progress(path) as on_progress:
        try:
            return await imports.import_file(path, via=via, on_progress=on_progress), None
        except UnsupportedFile as exc:
            return None, str(exc)


def _report_file(
    path: Path, record: ImportRecord | None, error: str | None, *, indent: bool = True
) -> bytes:
    """The report of a file as JSON: its record's, or why it was not imported."""
    if record is not None:
        return ImportReport.of(record).model_dump_json(indent=2 if indent else None).encode()
    refused = {"source_name": path.name, "status": ImportStatus.FAILED, "error": error}
    return orjson.dumps(refused, option=orjson.OPT_INDENT_2 if indent else None)


class _Output:
    """Reports on stdout (a table, or JSON lines); progress and notes on stderr."""

    def __init__(self, *, as_json: bool) -> None:
        self._as_json = as_json
        self._stderr = Console(stderr=True)

    def note(self, message: str) -> None:
        if not self._as_json:
            self._stderr.print(message, markup=False, highlight=False)

    @contextmanager
    def progress(self, path: Path) -> Iterator[OnProgress | None]:
        """A rich bar for the file while it imports, when stderr is a terminal."""
        if not self._stderr.is_terminal:
            yield None
            return
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            _Done(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=self._stderr, transient=True) as bar:
            task = bar.add_task(path.name, total=None, unit=ProgressUnit.ROWS)

            def update(record: ImportRecord) -> None:
                bar.update(
                    task,
                    completed=record.progress_done,
                    total=record.progress_total,
                    unit=record.progress_unit,
                )

            yield update

    def report(
        self,
        path: Path,
        record: ImportRecord | None,
        error: str | None,
        *,
        moved_to: Path | None = None,
    ) -> int:
        """Print the file's report; 1 when it failed, else 0."""
        failed = record is None or record.status is not ImportStatus.COMPLETED
        if self._as_json:
            typer.echo(_report_file(path, record, error, indent=False).decode())
        else:
            typer.echo(_describe(path, record, error, moved_to))
        return int(failed)


class _Done(ProgressColumn):
    """Rows done out of the total and rows per second (MiB for NDJSON files)."""

    def render(self, task: Task) -> Text:
        done, total, speed = task.completed, task.total or 0, task.finished_speed or task.speed
        if task.fields.get("unit") == ProgressUnit.BYTES:
            rate = "" if speed is None else f" {speed / MIB:,.1f} MiB/s"
            return Text(f"{done / MIB:,.1f}/{total / MIB:,.1f} MiB{rate}")
        rate = "" if speed is None else f" {speed:,.0f} rows/s"
        return Text(f"{int(done):,}/{int(total):,} rows{rate}")


def _describe(
    path: Path, record: ImportRecord | None, error: str | None, moved_to: Path | None
) -> str:
    where = f" -> {moved_to}" if moved_to is not None else ""
    if record is None:
        return f"{path}: not imported: {error}{where}"
    took = (record.finished_utc or record.updated_utc) - record.created_utc
    lines = [
        f"{path}: {record.status} in {took.total_seconds():.2f} s ({record.format}, "
        f"{record.size_bytes:,} bytes, import {record.import_id}){where}"
    ]
    if record.error:
        lines.append(f"  error: {record.error}")
    if record.run_id:
        lines.append(f"  run {record.run_id}")
    rows = [(table, figures) for table, figures in record.counts.items()]
    rows.append(("total", totals(record.counts)))
    lines.append(f"  {'':<20}{'items':>9}{'new':>9}{'duplicate':>11}{'rejected':>10}")
    for table, figures in rows:
        lines.append(
            f"  {table:<20}{figures.items:>9,}{figures.new:>9,}"
            f"{figures.duplicate:>11,}{figures.rejected:>10,}"
        )
    rejected = totals(record.counts).rejected
    if rejected and record.quarantined_by:
        lines.append(f"  rejected items were quarantined by import {record.quarantined_by}")
    elif rejected:
        lines.append("  rejected items are in the quarantine (GET /api/v1/quarantine)")
    return "\n".join(lines)
