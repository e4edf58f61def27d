"""`python -m bench`: run the benchmark suite (bench/suite.py), print it, record it.

    .venv/bin/python -m bench               # a few minutes; writes docs/benchmarks.md
    .venv/bin/python -m bench --quick       # under a minute; bench/results/ only
    .venv/bin/python -m bench --full-size   # the issue's log sizes (1M catch-up, 1M/5M rebuild)

Every run writes its JSON record to `--results` (bench/results/, git-ignored); a run that is
not `--quick` also writes docs/benchmarks/suite.json and the `## Suite` section of
docs/benchmarks.md (unless `--no-docs`).
"""

import argparse
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench import report, suite
from bench.suite import DEFAULT_SIZES, FULL_SIZE, QUICK_SIZES, SECTIONS

RESULTS = report.REPO_ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> None:
    """Parse, measure, print and record (see the module docstring)."""
    args = _parse(argv)
    profile = "quick" if args.quick else "full-size" if args.full_size else "default"
    sizes = {"quick": QUICK_SIZES, "full-size": FULL_SIZE, "default": DEFAULT_SIZES}[profile]
    if args.prefill is not None:
        sizes = replace(sizes, ingest=replace(sizes.ingest, prefill=args.prefill))
    if args.catch_up_events is not None:
        sizes = replace(sizes, catch_up_events=args.catch_up_events)
    if args.rebuild_events is not None:
        sizes = replace(sizes, rebuild_events=tuple(args.rebuild_events))
    if args.lag_rate is not None:
        sizes = replace(sizes, lag=replace(sizes.lag, rate=args.lag_rate))
    repetitions = args.repetitions or (1 if args.quick else 3)
    read_data_dir = args.read_data_dir or (None if args.quick else RESULTS / "read-data")
    load_before = suite.load_average()
    started = datetime.now(UTC)
    sections = suite.run(sizes, tuple(args.sections), repetitions, read_data_dir, print)
    info = report.machine("bench")
    info["load_average_1m"] = {"before": load_before, "after": suite.load_average()}
    info["seconds"] = (datetime.now(UTC) - started).total_seconds()
    record = suite.record(sections, sizes, repetitions, profile, info)
    markdown = suite.markdown(sections, repetitions, info)
    print(markdown)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    report.write_json(args.results / f"suite-{stamp}.json", record)
    if args.docs if args.docs is not None else not args.quick:
        report.write_json(report.REPO_ROOT / "docs" / "benchmarks" / "suite.json", record)
        report.replace_doc_section("suite", markdown)
        print(f"wrote {report.DOC.relative_to(report.REPO_ROOT)}")


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",")]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--quick", action="store_true", help="smoke test, under a minute")
    profile.add_argument("--full-size", action="store_true", help="the issue's log sizes")
    parser.add_argument(
        "--sections",
        type=lambda t: t.split(","),
        default=list(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )
    parser.add_argument("--repetitions", type=int, help="per figure (default 3, quick 1)")
    parser.add_argument("--prefill", type=int, help="events in the ingest log beforehand")
    parser.add_argument("--catch-up-events", type=int, help="events the worker catches up")
    parser.add_argument("--lag-rate", type=float, help="events/s offered while lag is measured")
    parser.add_argument(
        "--rebuild-events", type=_sizes, help="log sizes to rebuild, e.g. 1000000,5000000"
    )
    parser.add_argument(
        "--read-data-dir",
        type=Path,
        help="where the read data set is built once and reused (default "
        "bench/results/read-data; --quick: a temporary directory)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON record directory")
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        help="write docs/benchmarks.md (default: on, off with --quick)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    return args


if __name__ == "__main__":
    main()
