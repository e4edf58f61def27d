"""`stratlog replay RUN_ID`: re-emit a run's events in log order, to a stratlog or a file.

The command only reads its options and reports; the work is `replay.replayer.run_replay`.
Exit codes: 0 when every event was delivered; 1 when the target refused or could not be
reached (the resume state keeps what it acknowledged: `--resume` continues); 2 for what the
operator must fix first (options, an unknown run, a missing store, another replay's state
file); 130 when interrupted.
"""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from replay.errors import ReplayError
from replay.progress import progress_for
from replay.replayer import DEFAULT_BATCH_SIZE, ReplayJob, ReplayReport, run_replay
from replay.retry import RetryPolicy
from schema.settings import StoreSettings

USAGE_ERROR, INTERRUPTED = 2, 130


def replay(
    run_id: Annotated[str, typer.Argument(help="The run to replay.")],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="URL",
            help="Base URL of another stratlog: events go to URL/api/v1/events.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Write NDJSON, one canonical event per line (gzip if FILE ends in .gz).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="STRATLOG_API_KEY", help="Sent as X-API-Key to the --to target."),
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="STRATLOG_DATA_DIR",
            help="Data directory whose log is read (STRATLOG_LOG_URL overrides the log's "
            "location); also holds the resume state.",
        ),
    ] = Path("stratlog-data"),
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Events per request.")
    ] = DEFAULT_BATCH_SIZE,
    speed: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Play the run this many times faster than its event times; 0: as fast as "
            "possible.",
        ),
    ] = 0.0,
    max_pause: Annotated[
        float | None,
        typer.Option(min=0.0, help="With --speed: never wait longer than this many seconds."),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Resume state file (default: DATA_DIR/replay-state/<hash of run, target>.json).",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue after the last batch the target acknowledged."),
    ] = False,
    max_attempts: Annotated[
        int,
        typer.Option(min=1, help="Tries per batch on 429/502/503/504 or a connection error."),
    ] = RetryPolicy().max_attempts,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, no summary; errors only.")
    ] = False,
) -> None:
    """Re-emit a run's events in log order: to another stratlog (--to) or a file (--out)."""
    if (to is None) == (out is None):
        typer.echo("replay: give exactly one of --to URL and --out FILE", err=True)
        raise typer.Exit(USAGE_ERROR)
    if resume and out is not None:
        typer.echo("replay: --resume applies to --to; a file is written whole", err=True)
        raise typer.Exit(USAGE_ERROR)
    job = ReplayJob(
        run_id=run_id,
        to=to,
        out=out,
        api_key=api_key,
        batch_size=batch_size,
        speed=speed,
        max_pause=max_pause,
        state_path=state,
        resume=resume,
        retry=RetryPolicy(max_attempts=max_attempts),
    )
    settings = StoreSettings(data_dir=data_dir)
    try:
        report = asyncio.run(run_replay(job, settings, progress_for(quiet=quiet)))
    except ReplayError as exc:
        typer.echo(f"replay failed: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    except KeyboardInterrupt as exc:
        hint = " --resume continues where the target left off." if to is not None else ""
        typer.echo(f"replay interrupted.{hint}", err=True)
        raise typer.Exit(INTERRUPTED) from exc
    if not quiet:
        typer.echo(summary(report), err=True)


def summary(report: ReplayReport) -> str:
    """One line: what was sent, what the destination made of it, how fast."""
    rate = report.events / report.elapsed_s if report.elapsed_s > 0 else 0.0
    start = f" after position {report.after}" if report.after else ""
    line = (
        f"replayed run {report.run_id}: {report.events} events{start} -> {report.target} "
        f"in {report.elapsed_s:.2f} s ({rate:,.0f} events/s)"
    )
    if report.target.startswith(("http://", "https://")):
        line += f"; {report.stored} new there, {report.duplicates} already there"
    return line
