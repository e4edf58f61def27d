"""Rebuild: events/s and peak memory of `stratlog rebuild` beside the raw loop, per log size.

For each size the log holds a generated session, runs of about 10,000 events eight at a time,
so a larger log has more runs, not larger ones (a run's analytics read the whole run, DESIGN
§5.2). Every measurement runs in a child process of its own, whose peak RSS the kernel
reports when it ends (`getrusage` of a small parent started for it):
- baseline, the raw loop (bench/raw_loop.py): read a page of the log, parse each payload,
  upsert the page and a checkpoint (stdlib sqlite3, synchronous=FULL);
- product, `stratlog rebuild --keep-previous` on a data directory holding only that log (so
  the first generation is empty): its own summary line gives events/s (interpreter start-up
  excluded); its peak RSS is the command's.
Equal peaks at two sizes show that memory does not grow with the log.
"""

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.events import session
from bench.prefill import create_log
from bench.stats import Figure, Spread

REPO = Path(__file__).resolve().parents[1]
EVENTS_PER_RUN = 10_000
_RATE = re.compile(r"rebuild: \S+ is live, replacing \S+: ([\d,]+) events in ([\d.]+) s")
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Measured:
    events: int
    seconds: float
    peak_rss_mib: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


# Runs the command as its child and prints the child's peak RSS. Measured straight from the
# bench, a child's ru_maxrss would start at the bench's own peak: Linux carries the parent's
# high-water mark into a child it forks (or vforks) until the child execs.
_PEAK_OF_CHILD = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print('peak-rss-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(code)"
)


def child(command: list[str]) -> tuple[str, float, float]:
    """Run `command`; (its stdout, wall seconds, its peak RSS in MiB)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # progress lines; shown if it fails
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_OF_CHILD, *command],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{command} failed: {done.stdout}{errors.read()}")
    out, _, peak = done.stdout.rpartition("peak-rss-kib ")
    return out, seconds, int(peak) / 1024  # KiB on Linux


def baseline(log: Path, events: int) -> Measured:
    out, _, rss = child([sys.executable, "-m", "bench.raw_loop", str(log)])
    return Measured(events, float(out.strip()), rss)


def product(log: Path) -> Measured:
    data_dir = log.parent / "rebuild-data"
    data_dir.mkdir()
    shutil.copyfile(log, data_dir / "log.sqlite3")
    command = ["stratlog", "rebuild", "--data-dir", str(data_dir), "--keep-previous"]
    out, _, rss = child([sys.executable, "-m", *command])
    found = _RATE.search(out)
    if found is None:
        raise RuntimeError(f"no summary in {out!r}")
    shutil.rmtree(data_dir)
    return Measured(int(found[1].replace(",", "")), float(found[2]), rss)


def measure(workdir: Path, sizes: tuple[int, ...], repetitions: int, say: Progress) -> list[Figure]:
    """Rate and peak RSS, product against the raw loop, for a log of each size."""
    figures = []
    for size in sizes:
        log = workdir / f"rebuild-{size}.sqlite3"
        runs = max(1, size // EVENTS_PER_RUN)
        count = create_log(
            log, session(seed=3, runs=runs, events_per_run=size // runs, concurrent=8)
        )
        raw, ours = [], []
        for repetition in range(repetitions):
            raw.append(baseline(log, count))
            ours.append(product(log))
            say(
                f"rebuild #{repetition + 1} {count:,} events: raw loop {raw[-1].rate:,.0f}/s "
                f"{raw[-1].peak_rss_mib:.0f} MiB, stratlog rebuild {ours[-1].rate:,.0f}/s "
                f"{ours[-1].peak_rss_mib:.0f} MiB"
            )
        log.unlink()
        note = f"{runs} runs of about {size // runs:,} events"
        figures.append(
            Figure(
                f"`stratlog rebuild` of a {count:,}-event log",
                "events/s",
                Spread.of([m.rate for m in ours]),
                "raw loop on the same log (stdlib sqlite3, FULL)",
                Spread.of([m.rate for m in raw]),
                note,
            )
        )
        figures.append(
            Figure(
                f"`stratlog rebuild` of a {count:,}-event log, peak RSS",
                "MiB",
                Spread.of([m.peak_rss_mib for m in ours]),
                "raw loop's process, peak RSS",
                Spread.of([m.peak_rss_mib for m in raw]),
                note,
            )
        )
    return figures
