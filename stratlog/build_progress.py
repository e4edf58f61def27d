"""Showing a generation being built (`stratlog rebuild`, `stratlog verify`) as it goes.

On a terminal, a rich bar on stderr: events applied out of the log's, events per second and
the time left, as the builder measures them (projector/rebuild_progress.py, about once a
second). Elsewhere (CI, a pipe, a log file) a plain line every ten seconds, since a redrawn
bar would only fill the log; `--quiet` shows nothing. Notes (waiting for another builder's
lease, say) are printed as lines either way, unless quiet.
"""

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from projector.generations import Generation
from projector.rebuild_progress import RebuildProgress

_LINE_EVERY_S = 10.0


class BuildDisplay:
    """The progress hook of a build, and where its notes go."""

    def __init__(self, *, quiet: bool = False, console: Console | None = None) -> None:
        self.quiet = quiet
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.last: RebuildProgress | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._lined_at = 0.0
        self._waited_for: str | None = None

    def __call__(self, update: RebuildProgress) -> None:
        self.last = update
        if self.quiet:
            return
        p = update.progress
        rate = f"{p.events_per_second:,.0f}" if p.events_per_second is not None else "--"
        eta = f"{update.eta_seconds:,.0f} s" if update.eta_seconds is not None else "--"
        if not self.console.is_terminal:
            now = time.monotonic()
            if now - self._lined_at >= _LINE_EVERY_S or p.applied_events >= p.total_events:
                self._lined_at = now
                self.note(
                    f"{update.generation}: {p.applied_events:,}/{p.total_events:,} events, "
                    f"{rate} events/s, ETA {eta}"
                )
            return
        if self._bar is None:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,.0f}/{task.total:,.0f} events"),
                TextColumn("{task.fields[rate]} events/s  ETA {task.fields[eta]}"),
                console=self.console,
            )
            self._bar.start()
            self._task = self._bar.add_task(update.generation, rate=rate, eta=eta)
        assert self._task is not None
        self._bar.update(
            self._task, completed=p.applied_events, total=p.total_events, rate=rate, eta=eta
        )

    def waiting(self, generation: Generation) -> None:
        """The on_wait hook: said once per generation waited for."""
        if generation.name != self._waited_for:
            self._waited_for = generation.name
            self.note(
                f"generation {generation.name} is being built by {generation.owner}; waiting "
                "until it is done, or its lease lapses and this process takes it over"
            )

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
