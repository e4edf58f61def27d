"""Showing a replay's progress: a rich bar on a terminal, plain lines elsewhere, or nothing.

On a terminal the bar shows events sent out of the total, events per second and the time
left; it draws on stderr, so stdout stays free. When stderr is not a terminal (CI, a pipe, a
log file) there is no bar: redrawing it would only fill the log. Notes (a retry, say) are
printed as lines in both cases, and `--quiet` silences everything but errors.
"""

from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class ReplayProgress(Protocol):
    """What the replay loop reports to."""

    def start(self, description: str, total: int) -> None: ...
    def advance(self, events: int) -> None: ...
    def note(self, message: str) -> None: ...
    def stop(self) -> None: ...


class EventRateColumn(ProgressColumn):
    """Events per second, averaged by rich over the last few updates."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- events/s" if speed is None else f"{speed:,.0f} events/s")


class BarProgress:
    """A rich progress bar on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            EventRateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._console,
        )
        self._task: TaskID | None = None

    def start(self, description: str, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(description, total=total)

    def advance(self, events: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, events)

    def note(self, message: str) -> None:
        self._progress.console.print(message, markup=False, highlight=False)

    def stop(self) -> None:
        self._progress.stop()


class LineProgress:
    """No bar: notes as plain lines on stderr, or nothing at all when `quiet`."""

    def __init__(self, *, quiet: bool = False, console: Console | None = None) -> None:
        self._quiet = quiet
        self._console = console or Console(stderr=True, highlight=False, soft_wrap=True)

    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, events: int) -> None:
        pass

    def note(self, message: str) -> None:
        if not self._quiet:
            self._console.print(message, markup=False)

    def stop(self) -> None:
        pass


def progress_for(*, quiet: bool) -> ReplayProgress:
    """A bar when stderr is a terminal and not `quiet`, otherwise lines (or silence)."""
    console = Console(stderr=True)
    if not quiet and console.is_terminal:
        return BarProgress(console)
    return LineProgress(quiet=quiet)
