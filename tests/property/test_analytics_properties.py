"""Analytics never depend on how the log was applied (STYLE rule 16), on sessions that trade.

The generated sessions of test_projection_properties.py seldom complete a fill (an order
needs both a side and a symbol), so their analytics are mostly empty. Here the log is the
hand-worked trading session of tests/fixtures/sessions.py, for two runs of one instance, its
run events in any order (fills before their orders, bars after the fills, a run.ended
first…). Appended in chunks while runners catch up in arbitrary batch sizes, with duplicate
deliveries and workers dying between batches, inside a batch's transaction or inside the
analytics stage's (also after the last event, when nothing but the analytics is left),
every projection table, analytics included, ends byte-identical to one pass from position 0.
"""

import random
from dataclasses import dataclass
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.runner import Runner
from projector.store import Checkpoint, ProjectionStore
from tests.fixtures.sessions import analytics_session
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.property.session_strategies import Wire, partition_of_wire
from tests.property.test_projection_properties import (
    Job,
    SimulatedCrash,
    dump,
    in_stores,
    jobs,
    one_pass,
    open_store,
    run_job,
    same_bytes,
)

SECOND_RUN = "b-second-run"


@dataclass(frozen=True)
class AnalyticsCrash:
    """A catch-up whose process dies in its analytics stage, after the claim."""

    partition: int
    batch_size: int
    stages_before_crash: int


class DyingAnalytics(ProjectionStore):
    """The real store of a process that dies inside its n-th analytics transaction."""

    def __init__(self, store: ProjectionStore, stages_before_crash: int) -> None:
        super().__init__(store.writer, store.reader)
        self.stages_left = stages_before_crash

    async def claim_analytics(self, conn: AsyncConnection, checkpoint: Checkpoint) -> bool:
        claimed = await super().claim_analytics(conn, checkpoint)
        if self.stages_left == 0:
            raise SimulatedCrash
        self.stages_left -= 1
        return claimed


any_job = jobs | st.builds(AnalyticsCrash, st.integers(0, 2), st.integers(1, 60), st.integers(0, 1))
plans = st.lists(st.tuples(st.integers(1, 90), st.lists(any_job, max_size=3)), max_size=4)


def shuffled_session(seed: int) -> list[Wire]:
    """The catalog first (as exporters send their handshake), then both runs' events mixed
    in an order drawn from `seed`."""
    first, second = analytics_session(), analytics_session(SECOND_RUN)
    events = first[3:] + second[3:]
    random.Random(seed).shuffle(events)
    return first[:3] + events


async def run_any_job(env: ProjectionEnv, job: Job | AnalyticsCrash, partitions: list[str]) -> None:
    if isinstance(job, Job):
        await run_job(env, job, partitions)
        return
    store = DyingAnalytics(env.store, job.stages_before_crash)
    runner = Runner(env.feed, store, batch_size=job.batch_size)
    await runner.discover()
    try:
        await runner.catch_up(partitions[job.partition % len(partitions)])
    except SimulatedCrash:
        event("a worker died in the analytics stage")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    plan=plans,
    last_jobs=st.lists(any_job, max_size=3),
    final_batch_size=st.integers(1, 50),
)
def test_trading_sessions_in_any_batches_and_crashes_give_the_analytics_of_one_pass(
    seed: int,
    plan: list[tuple[int, list[Job | AnalyticsCrash]]],
    last_jobs: list[Job | AnalyticsCrash],
    final_batch_size: int,
) -> None:
    session = shuffled_session(seed)

    async def example(directory: Path) -> None:
        async with projection_env("sqlite", directory, batch_size=final_batch_size) as env:
            appended = 0
            for chunk_size, round_jobs in [*plan, (len(session), last_jobs)]:
                chunk = session[appended : appended + chunk_size]
                if chunk:
                    await env.append(chunk)
                    appended += len(chunk)
                partitions = sorted({partition_of_wire(e) for e in session[:appended]})
                for job in round_jobs:
                    await run_any_job(env, job, partitions)
            await env.catch_up_all()  # a new process resumes whatever was left

            reference = await open_store(directory, "reference")
            try:
                await one_pass(env.feed, reference)
                clean = await dump(reference)
                same_bytes(await dump(env.store), clean)
                # Not a pass on empty tables: 3 trades per run, both runs aggregated.
                assert (len(clean["trades"]), len(clean["run_metrics"])) == (6, 2)
                assert len(clean["instance_metrics"]) == len(clean["strategy_metrics"]) == 1
            finally:
                await reference.close()

    in_stores(example)
