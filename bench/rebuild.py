"""Rebuild throughput and peak memory: `stratlog rebuild` on a prefilled SQLite log.

    .venv/bin/python -m bench.rebuild [--events 1000000] [--events-per-run 10000]

The log holds `bar.closed` events (bench.prefill), `--events-per-run` to a run, so a larger
log has more runs of the same size: what grows is the log, not any one run (a run's
analytics read the whole run, DESIGN §5.2). Each measurement runs in a child process of its
own, whose peak RSS the kernel reports when it ends (`os.wait4`):
- baseline, the raw loop of bench.projection_catch_up: read a page of the log, parse each
  payload, upsert the page and a checkpoint (stdlib sqlite3, synchronous=FULL);
- product, `stratlog rebuild --keep-previous` on a data directory holding only that log
  (so the first generation is empty): its own summary line gives events/s (interpreter
  start-up excluded); its peak RSS is the command's.
Both run again on a log a fifth of the size, so the peak RSS of the two sizes shows whether
memory grows with the log.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.prefill import create_log
from bench.projection_catch_up import raw_loop

REPO = Path(__file__).resolve().parents[1]
_RATE = re.compile(r"rebuild: \S+ is live, replacing \S+: ([\d,]+) events in ([\d.]+) s")


@dataclass(frozen=True, slots=True)
class Measured:
    events: int
    seconds: float
    peak_rss_mib: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def child(command: list[str]) -> tuple[str, float, float]:
    """Run `command`; (its stdout, wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed: {out}")
    return out, seconds, usage.ru_maxrss / 1024  # KiB on Linux


def baseline(log: Path, events: int) -> Measured:
    out, _, rss = child([sys.executable, "-m", "bench.rebuild", "--raw", str(log)])
    return Measured(events, float(out.strip()), rss)


def product(log: Path) -> Measured:
    data_dir = log.parent / "data"
    data_dir.mkdir()
    shutil.copyfile(log, data_dir / "log.sqlite3")
    command = ["stratlog", "rebuild", "--data-dir", str(data_dir), "--keep-previous"]
    out, _, rss = child([sys.executable, "-m", *command])
    found = _RATE.search(out)
    if found is None:
        raise RuntimeError(f"no summary in {out!r}")
    shutil.rmtree(data_dir)
    return Measured(int(found[1].replace(",", "")), float(found[2]), rss)


def measure(root: Path, events: int, per_run: int) -> tuple[Measured, Measured]:
    log = root / f"log-{events}.sqlite3"
    create_log(log, events, runs=max(1, events // per_run))
    raw = baseline(log, events)
    ours = product(log)
    log.unlink()
    return raw, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--events-per-run", type=int, default=10_000)
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)  # the baseline's child
    args = parser.parse_args()
    if args.raw is not None:
        target = args.raw.with_suffix(".raw.sqlite3")
        print(raw_loop(args.raw, target))
        target.unlink()
        return
    print(f"events per run: {args.events_per_run:,}")
    print(f"{'log':>10}  {'':<22}{'events/s':>10}{'seconds':>10}{'peak RSS':>12}")
    with tempfile.TemporaryDirectory() as directory:
        for events in (args.events // 5, args.events):
            raw, ours = measure(Path(directory), events, args.events_per_run)
            for name, m in (("raw loop (baseline)", raw), ("stratlog rebuild", ours)):
                print(
                    f"{events:>10,}  {name:<22}{m.rate:>10,.0f}{m.seconds:>10.1f}"
                    f"{m.peak_rss_mib:>9.0f} MiB"
                )
            print(f"{'':>10}  {'ratio':<22}{ours.rate / raw.rate:>10.3f}")


if __name__ == "__main__":
    main()
