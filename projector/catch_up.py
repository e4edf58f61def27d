"""One partition caught up to the log's head, the re-check after it, and its log line.

A ring that arrives while a partition is being caught up is coalesced away (arq refuses a
second job with the same id; the embedded doorbell merges it), so whoever runs a catch-up
must look at the log again afterwards: `catch_up_to_head` repeats the runner's catch-up
while it still finds events, and `is_behind` is the cheap question asked after the job has
released its id. Both the arq worker and the embedded projector use these, and both log each
catch-up as one line of a fixed shape.
"""

import time

import structlog

from projector.log_feed import LogFeed
from projector.runner import CatchUpReport, Runner
from projector.store import ProjectionStore

logger = structlog.get_logger("stratlog.projector")

# Bounds one job under a sustained stream into its partition; the re-check after the job
# wakes the partition again, so stopping here loses nothing and lets other partitions run.
MAX_ROUNDS = 5


async def catch_up_to_head(runner: Runner, partition: str) -> CatchUpReport:
    """Catch `partition` up, again and again while events keep arriving (bounded), then its
    analytics, once."""
    started = time.perf_counter()
    first = report = await runner.catch_up(partition, analytics=False)
    applied = report.applied
    rounds = 1
    while report.applied and not (report.halted or report.lost_race) and rounds < MAX_ROUNDS:
        report = await runner.catch_up(partition, analytics=False)
        applied += report.applied
        rounds += 1
    await runner.analyze(partition)
    return CatchUpReport(
        partition,
        first.start,
        report.end,
        applied,
        time.perf_counter() - started,
        halted=report.halted,
        lost_race=report.lost_race,
    )


async def is_behind(feed: LogFeed, store: ProjectionStore, partition: str) -> bool:
    """Whether the log holds events of `partition` after its checkpoint (and it is not halted)."""
    checkpoint = await store.checkpoint(partition)
    if checkpoint is not None and checkpoint.halted_position is not None:
        return False  # waits for an operator, not for a ring
    after = checkpoint.position if checkpoint is not None else 0
    return bool(await feed.partition_events(partition, after, 1))


def log_catch_up(report: CatchUpReport, *, via: str) -> None:
    """The one line per catch-up: `partition=… positions 120→480 applied=360 in 0.04s`."""
    log = logger.warning if report.halted else logger.info
    log(
        f"partition={report.partition} positions {report.start}→{report.end} "
        f"applied={report.applied} in {report.seconds:.2f}s",
        halted=report.halted,
        lost_race=report.lost_race,
        via=via,
    )
