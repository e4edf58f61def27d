"""Replaying a log always gives the same projections (STYLE rule 16, DESIGN §7).

Pure level: folding a session through the projections in one batch or in any batches, and
partition by partition in any order, gives the same rows. Store level, on real SQLite files:
a log appended in chunks while runners catch up in arbitrary batch sizes, with jobs delivered
twice (one after the other and at the same time) and processes dying between batches or inside
a batch's transaction, ends with tables byte-identical to one pass from position 0; the same log
folded into two fresh stores gives identical rows; the order partitions are caught up in does
not matter. A crash is the only thing simulated: the feed or the store raises where a dying
process would stop, and a new Runner resumes, as a restarted worker does.
"""

import asyncio
import tempfile
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projector.log_feed import LogFeed, LogRecord
from projector.runner import Runner
from projector.store import ProjectionStore
from projector.writes import Row
from schema.tables.projections import PROJECTION_METADATA, checkpoints, projection_meta
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.property.session_strategies import PARTITIONS, Wire, partition_of_wire, sessions
from tests.unit.projection_fold import ProjectionFold, as_event, fold

# No deadline: shared machines stall unpredictably. Store examples cost ~0.4 s each.
PURE_EXAMPLES = settings(max_examples=200, deadline=None)
STORE_EXAMPLES = settings(max_examples=25, deadline=None)
batch_sizes = st.lists(st.integers(1, 8), max_size=8)


@PURE_EXAMPLES
@given(session=sessions(), sizes=batch_sizes)
def test_folding_in_any_batches_gives_the_rows_of_one_batch(
    session: list[Wire], sizes: list[int]
) -> None:
    in_batches, at_once = fold(session, sizes), fold(session)
    assert (in_batches.tables, in_batches.halted) == (at_once.tables, at_once.halted)


@PURE_EXAMPLES
@given(session=sessions(), order=st.permutations(PARTITIONS), sizes=batch_sizes)
def test_folding_partition_by_partition_in_any_order_gives_the_same_rows(
    session: list[Wire], order: list[str], sizes: list[int]
) -> None:
    positioned = list(enumerate(session, start=1))

    def partition_by_partition(partitions: Sequence[str], sizes: Sequence[int]) -> ProjectionFold:
        tables = ProjectionFold()
        for partition in partitions:
            events = [(p, as_event(e)) for p, e in positioned if partition_of_wire(e) == partition]
            start = 0
            for size in [*sizes, len(events)]:
                tables.apply_batch(events[start : start + size])
                start += size
        return tables

    permuted, reference = (
        partition_by_partition(order, sizes),
        partition_by_partition(PARTITIONS, []),
    )
    assert (permuted.tables, permuted.halted) == (reference.tables, reference.halted)


# --- Real stores -------------------------------------------------------------------------


class SimulatedCrash(Exception):
    """The process running a catch-up died here."""


class CrashingFeed(LogFeed):
    """The real log feed of a process that dies before reading its n-th batch."""

    def __init__(self, engine: AsyncEngine, reads_before_crash: int) -> None:
        super().__init__(engine)
        self.reads_left = reads_before_crash

    async def partition_events(self, partition: str, after: int, limit: int) -> list[LogRecord]:
        if self.reads_left == 0:
            raise SimulatedCrash
        self.reads_left -= 1
        return await super().partition_events(partition, after, limit)


class CrashingStore(ProjectionStore):
    """The real projection store of a process that dies inside its n-th batch's transaction,
    after the checkpoint moved and the rows were written (so all of it must roll back)."""

    def __init__(self, store: ProjectionStore, flushes_before_crash: int) -> None:
        super().__init__(store.writer, store.reader)
        self.flushes_left = flushes_before_crash

    async def flush(
        self, conn: AsyncConnection, changes: Mapping[str, tuple[list[Row], list[Row], list[Row]]]
    ) -> None:
        await super().flush(conn, changes)
        if self.flushes_left == 0:
            raise SimulatedCrash
        self.flushes_left -= 1


@dataclass(frozen=True)
class Job:
    """One catch-up job as a worker receives it."""

    partition: int  # index into the partitions that have events so far
    batch_size: int
    crash: tuple[str, int] | None  # ("read" | "flush", batches before the crash)
    twice_at_once: bool  # the job delivered to two workers at the same time
    discover_first: bool  # a sweep ran just before


jobs = st.builds(
    Job,
    partition=st.integers(0, 3),
    batch_size=st.integers(1, 6),
    crash=st.none() | st.tuples(st.sampled_from(["read", "flush"]), st.integers(0, 3)),
    twice_at_once=st.booleans(),
    discover_first=st.booleans(),
)
# Each round appends a chunk of the session, then runs some jobs (repeats are duplicates).
rounds = st.lists(st.tuples(st.integers(1, 12), st.lists(jobs, max_size=4)), max_size=5)


def in_stores(test: Callable[[Path], Coroutine[Any, Any, None]]) -> None:
    """Run an async store-level example in a directory of its own (hypothesis reuses the
    function-scoped tmp_path across examples)."""
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(test(Path(directory)))


async def open_store(directory: Path, name: str) -> ProjectionStore:
    return await ProjectionStore.open(f"sqlite+aiosqlite:///{directory / name}.sqlite3")


async def one_pass(feed: LogFeed, store: ProjectionStore, order: Sequence[str] = ()) -> None:
    """Catch every partition up from its checkpoint, in `order` first, then the rest."""
    runner = Runner(feed, store, batch_size=10_000)
    behind = await runner.discover()
    for partition in [*(p for p in order if p in behind), *(p for p in behind if p not in order)]:
        await runner.catch_up(partition)


async def dump(store: ProjectionStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table as stored (raw column values, primary-key order); checkpoints
    without the wall-clock `updated_utc`, and no bookkeeping (`projection_meta`)."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with store.reader.connect() as conn:
        for table in PROJECTION_METADATA.sorted_tables:
            if table is projection_meta:
                continue
            columns = [c.name for c in table.c if c is not checkpoints.c.updated_utc]
            order = ", ".join(c.name for c in table.primary_key.columns)
            query = f"SELECT {', '.join(columns)} FROM {table.name} ORDER BY {order}"
            tables[table.name] = [tuple(row) for row in (await conn.execute(text(query))).all()]
    return tables


def same_bytes(a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]]) -> None:
    # repr tells 1 from 1.0 and 0.0 from -0.0, which == does not.
    assert a.keys() == b.keys()
    for table in a:
        assert repr(a[table]) == repr(b[table]), table


async def run_job(env: ProjectionEnv, job: Job, partitions: Sequence[str]) -> None:
    partition = partitions[job.partition % len(partitions)]
    feed, store = env.feed, env.store
    if job.crash is not None:
        kind, batches = job.crash
        if kind == "read":
            feed = CrashingFeed(env.feed.engine, batches)
        else:
            store = CrashingStore(env.store, batches)
    runner = Runner(feed, store, batch_size=job.batch_size)
    if job.discover_first:
        await runner.discover()
    deliveries = [runner.catch_up(partition)]
    if job.twice_at_once:
        rival = Runner(env.feed, env.store, batch_size=job.batch_size + 1)
        deliveries.append(rival.catch_up(partition))
    for outcome in await asyncio.gather(*deliveries, return_exceptions=True):
        if isinstance(outcome, SimulatedCrash):
            event("a worker died during a catch-up")
        elif isinstance(outcome, BaseException):
            raise outcome
        elif outcome.lost_race:
            event("a duplicate delivery lost the race")
        elif outcome.halted:
            event("a partition halted")


@STORE_EXAMPLES
@given(session=sessions(), plan=rounds, final_batch_size=st.integers(1, 8))
def test_batches_duplicates_and_crashes_give_the_tables_of_one_pass(
    session: list[Wire], plan: list[tuple[int, list[Job]]], final_batch_size: int
) -> None:
    async def example(directory: Path) -> None:
        async with projection_env("sqlite", directory, batch_size=final_batch_size) as env:
            appended: list[Wire] = []
            for chunk_size, round_jobs in plan:
                chunk = session[len(appended) : len(appended) + chunk_size]
                if chunk:
                    await env.append(chunk)
                    appended += chunk
                partitions = sorted({partition_of_wire(e) for e in appended})
                for job in round_jobs if partitions else []:
                    await run_job(env, job, partitions)
            if len(appended) < len(session):
                await env.append(session[len(appended) :])
            await env.catch_up_all()  # a new runner resumes whatever was left

            reference = await open_store(directory, "reference")
            try:
                await one_pass(env.feed, reference)
                same_bytes(await dump(env.store), await dump(reference))
            finally:
                await reference.close()

    in_stores(example)


@STORE_EXAMPLES
@given(session=sessions())
def test_the_same_log_folded_twice_gives_identical_rows(session: list[Wire]) -> None:
    async def example(directory: Path) -> None:
        async with projection_env("sqlite", directory) as env:
            await env.append(session)
            first = await open_store(directory, "first")
            second = await open_store(directory, "second")
            try:
                await one_pass(env.feed, first)
                await one_pass(env.feed, second)
                same_bytes(await dump(first), await dump(second))
            finally:
                await first.close()
                await second.close()

    in_stores(example)


@STORE_EXAMPLES
@given(session=sessions(), order=st.permutations(PARTITIONS))
def test_the_order_partitions_are_caught_up_in_does_not_change_the_rows(
    session: list[Wire], order: list[str]
) -> None:
    async def example(directory: Path) -> None:
        async with projection_env("sqlite", directory) as env:
            await env.append(session)
            permuted = await open_store(directory, "permuted")
            try:
                await one_pass(env.feed, permuted, order)
                await one_pass(env.feed, env.store, PARTITIONS)
                same_bytes(await dump(permuted), await dump(env.store))
            finally:
                await permuted.close()

    in_stores(example)
