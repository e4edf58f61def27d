"""The benchmark suite (`python -m bench`): every section of issue 8, each figure beside a
baseline measured in the same run on the same machine, recorded as JSON and as markdown.

Sections: ingest (bench/ingest.py), projection catch-up and end-to-end lag
(bench/catch_up.py, bench/lag.py), rebuild (bench/rebuild.py), read latency
(bench/read_latency.py). Sizes come from a profile: `QUICK` (a smoke test under a minute),
`DEFAULT` (a few minutes) and `FULL_SIZE` (the issue's log sizes: a 1M-event catch-up and
rebuilds of 1M and 5M events, an hour or more); single sizes can be overridden on the
command line. Each figure is the median of the repetitions with min and max.
"""

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench import catch_up, ingest, lag, read_latency, rebuild
from bench.ingest import Case, IngestSizes
from bench.lag import LagSizes
from bench.read_dataset import FULL, QUICK, Shape, ensure
from bench.report import machine_lines
from bench.stats import Figure

SECTIONS = ("ingest", "projection", "rebuild", "read")
# The questions of issue 8 (bench/read_questions.py has more, for experiments).
READ_QUESTIONS = (
    "run summary",
    "trades, first page",
    "trades, deep page (cursor)",
    "bars, first page",
    "compare 5 runs",
)
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much each section measures."""

    ingest: IngestSizes
    catch_up_events: int
    backends: tuple[str, ...]
    lag: LagSizes
    lag_modes: tuple[str, ...]
    rebuild_events: tuple[int, ...]
    read_shape: Shape
    read_requests: int
    read_warmup: int


QUICK_SIZES = Sizes(
    ingest=IngestSizes(
        5_000,
        (Case(1, 32, 200), Case(100, 4, 2_000), Case(1000, 4, 4_000)),
        latency_rate=1_000,
        latency_batch=10,
        latency_seconds=1.0,
    ),
    catch_up_events=2_000,
    backends=("sqlite", "postgres"),
    lag=LagSizes(rate=2_000, seconds=1.0, batch=20),
    lag_modes=("embedded", "arq"),
    rebuild_events=(3_000,),
    read_shape=QUICK,
    read_requests=10,
    read_warmup=2,
)
DEFAULT_SIZES = Sizes(
    ingest=IngestSizes(
        1_000_000,
        (Case(1, 32, 1_000), Case(100, 4, 10_000), Case(1000, 4, 20_000)),
        latency_rate=1_000,
        latency_batch=10,
        latency_seconds=3.0,
    ),
    catch_up_events=30_000,
    backends=("sqlite", "postgres"),
    lag=LagSizes(rate=2_000, seconds=5.0, batch=20),
    lag_modes=("embedded", "arq"),
    rebuild_events=(30_000, 100_000),
    read_shape=FULL,
    read_requests=100,
    read_warmup=10,
)
FULL_SIZE = replace(DEFAULT_SIZES, catch_up_events=1_000_000, rebuild_events=(1_000_000, 5_000_000))


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    description: str
    figures: list[Figure]
    seconds: float


def run(
    sizes: Sizes,
    sections: tuple[str, ...],
    repetitions: int,
    read_data_dir: Path | None,
    say: Progress,
) -> dict[str, Section]:
    """Measure the asked sections, in a temporary directory removed afterwards."""
    done: dict[str, Section] = {}
    workdir = Path(tempfile.mkdtemp(prefix="stratlog-bench-"))
    try:
        for name in sections:
            started = time.perf_counter()
            title, description, figures = _SECTIONS[name](
                workdir, sizes, repetitions, read_data_dir, say
            )
            done[name] = Section(title, description, figures, time.perf_counter() - started)
            say(f"{name}: {len(figures)} figures in {done[name].seconds:.0f}s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return done


Measured = tuple[str, str, list[Figure]]  # a section's title, description and figures
Measure = Callable[[Path, Sizes, int, Path | None, Progress], Measured]


def _ingest(workdir: Path, sizes: Sizes, reps: int, _: Path | None, say: Progress) -> Measured:
    description = (
        f"A log prefilled with {sizes.ingest.prefill:,} generated events; the Procfile's ingest"
        " process (`uvicorn ingest_api.app:app`, SQLite, synchronous=FULL, API key) takes the"
        " session's next events over keep-alive connections; the baseline appends the same"
        " events with stdlib sqlite3 into a copy of the same log, one transaction per batch."
    )
    return "Ingest", description, ingest.measure(workdir, sizes.ingest, reps, say)


def _projection(workdir: Path, sizes: Sizes, reps: int, _: Path | None, say: Progress) -> Measured:
    figures = catch_up.measure(workdir, sizes.catch_up_events, reps, sizes.backends, say)
    figures += lag.measure(workdir, sizes.lag, reps, sizes.lag_modes, say)
    description = (
        "Catch-up: a prefilled log of generated sessions projected from position 0 into a fresh"
        " store by one worker process, against the raw loop of DESIGN §9.1 on the same log."
        " Lag: generated sessions posted at a steady rate; a batch is reflected once every"
        " run's checkpoint covers its position (what the read API's X-Projection-Position is"
        " computed from; each run is then checked through the read API with `min_position`);"
        " the baseline is the raw loop tailing the same log file in the same pass."
    )
    return "Projection", description, figures


def _rebuild(workdir: Path, sizes: Sizes, reps: int, _: Path | None, say: Progress) -> Measured:
    description = (
        "`stratlog rebuild` (a new generation from position 0) of a log of generated sessions,"
        " runs of about 10,000 events, each measurement a child process of its own (peak RSS"
        " from the kernel), against the raw loop in a child process on the same log."
    )
    return "Rebuild", description, rebuild.measure(workdir, sizes.rebuild_events, reps, say)


def _read(workdir: Path, sizes: Sizes, reps: int, data_dir: Path | None, say: Progress) -> Measured:
    dataset = ensure(data_dir or workdir / "read-data", sizes.read_shape)
    rows = read_latency.measure(
        dataset, reps, sizes.read_requests, sizes.read_warmup, only=READ_QUESTIONS, say=say
    )
    counts = dataset.counts
    description = (
        f"`uvicorn read_api.app:app` on a data set of {dataset.events:,} generated events"
        f" projected by the runner (SQLite): a main run of {counts['executions']:,} executions,"
        f" {counts['orders']:,} orders, {counts['trades']:,} trades and {counts['bars']:,}"
        " one-minute bars, and 4 smaller runs for the compare. One httpx client, one keep-alive"
        f" connection, {sizes.read_requests} sequential requests per question and repetition"
        " after a warm-up; the baseline asks the same question as raw SQL in the same"
        " repetition."
    )
    return "Read", description, [f for row in rows for f in row.figures()]


_SECTIONS: dict[str, Measure] = {
    "ingest": _ingest,
    "projection": _projection,
    "rebuild": _rebuild,
    "read": _read,
}


def record(
    sections: dict[str, Section],
    sizes: Sizes,
    repetitions: int,
    profile: str,
    machine: dict[str, Any],
) -> dict[str, Any]:
    """The JSON record of a run."""
    return {
        "bench": "suite",
        "profile": profile,
        "repetitions": repetitions,
        "machine": machine,
        "sizes": asdict(sizes),
        "sections": {
            name: {
                "title": s.title,
                "description": s.description,
                "seconds": round(s.seconds, 1),
                "figures": [f.record() for f in s.figures],
            }
            for name, s in sections.items()
        },
    }


def markdown(sections: dict[str, Section], repetitions: int, info: dict[str, Any]) -> str:
    """The suite's section of docs/benchmarks.md."""
    load = info["load_average_1m"]
    lines = [
        "## Suite (`python -m bench`)",
        "",
        machine_lines(info),
        f"- Load average (1 min) before / after: {load['before']:.1f} / {load['after']:.1f};"
        f" {info['seconds'] / 60:.1f} minutes in all",
        f"- Each figure: median of {repetitions} repetitions [min - max]. Its baseline was"
        " measured in the same run on the same machine; ratio = figure / baseline (medians):"
        " for events/s higher is better, for ms and MiB lower is.",
    ]
    for section in sections.values():
        lines += [
            "",
            f"### {section.title}",
            "",
            section.description,
            "",
            "| figure | median [min - max] | baseline, same run | median [min - max] "
            "| ratio | notes |",
            "|---|---:|---|---:|---:|---|",
        ]
        for figure in section.figures:
            decimals = 0 if figure.unit in ("events/s", "MiB") else 2
            lines.append(
                f"| {figure.name} ({figure.unit}) | {figure.value.text(decimals)} "
                f"| {figure.baseline_name} | {figure.baseline.text(decimals)} "
                f"| {_ratio(figure.ratio)} | {figure.note} |"
            )
    return "\n".join(lines) + "\n"


def _ratio(value: float) -> str:
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}" if value < 10 else f"{value:,.0f}"


def load_average() -> float:
    return os.getloadavg()[0]
