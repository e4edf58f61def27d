"""Rebuild one run: its rows rebuilt from the log in a scratch generation, then swapped into
the live generation in one transaction.

The scratch generation gets the catalog's partition and the run's, caught up by the ordinary
runner (the catalog first: the run's analytics resolve its strategy and instruments from
it). Then one transaction on the live generation: the run's checkpoint is set to the
scratch one's first (a live projector's batch racing it then fails its compare-and-set and
carries on from there), every row the run owns is deleted from each run-keyed table (its bars
through its series, its instruments by scope) and the scratch rows are inserted, streamed a
page at a time; last, the instance and strategy aggregates it belonged to or belongs to now
are recomputed from their member runs. Readers see the old run or the new one, never half
of each. Catalog rows are not copied: the live catalog is the live projector's.
"""

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.analytics.sql import share_analytics
from projector.analytics.stage import AGGREGATES, AggregateKey, refresh_aggregates
from projector.opening import open_feed
from projector.runner import Runner, utc_now
from projector.scratch import scratch_generation
from projector.store import ProjectionStore
from projector.versions import PROJECTION_VERSIONS, Versions
from schema.doorbell import CATALOG_PARTITION
from schema.settings import StoreSettings
from schema.tables.generations import RUN
from schema.tables.projections import (
    PROJECTION_METADATA,
    bars,
    checkpoints,
    instruments,
    run_metrics,
    run_series,
)

_PAGE = 1000


class UnknownRun(Exception):
    """The log holds no event of this run."""


@dataclass(frozen=True, slots=True)
class RunRebuildReport:
    run_id: str
    live: str  # the generation whose rows were replaced
    events: int
    rows: int
    seconds: float


def run_tables() -> list[Table]:
    """The projection tables with rows owned by one run (each keyed by `run_id`), plus the
    run's bars and run-scoped instruments."""
    owned = [t for t in PROJECTION_METADATA.sorted_tables if "run_id" in t.c]
    return [*owned, bars, instruments]


async def rebuild_run(
    settings: StoreSettings,
    run_id: str,
    *,
    versions: Versions = PROJECTION_VERSIONS,
    batch_size: int = 1000,
) -> RunRebuildReport:
    """Rebuild `run_id`'s rows from the log and replace them in the live generation."""
    started = time.perf_counter()
    feed = open_feed(settings)
    try:
        if not await feed.partition_events(run_id, 0, 1):
            raise UnknownRun(f"the log holds no event of run {run_id!r}")
    finally:
        await feed.engine.dispose()
    async with scratch_generation(settings, RUN, f"run {run_id}", versions) as scratch:
        runner = Runner(scratch.feed, scratch.store, batch_size=batch_size)
        async with scratch.meter():
            await runner.catch_up(CATALOG_PARTITION)
            events = (await runner.catch_up(run_id)).applied
        rows = await _replace_run(scratch.store, scratch.live, run_id)
        seconds = time.perf_counter() - started
        return RunRebuildReport(run_id, scratch.live_name, events, rows, seconds)


async def _replace_run(shadow: ProjectionStore, live: ProjectionStore, run_id: str) -> int:
    """Make the shadow's rows of `run_id` the live generation's, in one transaction; the
    number of rows copied."""
    copied = 0
    async with live.transaction() as target, shadow.reader.connect() as source:
        await _copy_checkpoint(source, target, run_id)
        await share_analytics(target)  # as a run's analytics stage does (analytics/sql.py)
        before = await _memberships(target, run_id)
        for table in reversed(run_tables()):  # children before the series their bars hang on
            await target.execute(delete(table).where(_rows_of(table, run_id)))
        for table in run_tables():
            query = select(table).where(_rows_of(table, run_id))
            stream = await source.stream(query.execution_options(yield_per=_PAGE))
            async for page in stream.mappings().partitions(_PAGE):
                await target.execute(insert(table), [dict(row) for row in page])
                copied += len(page)
        after = await _memberships(target, run_id)
        await refresh_aggregates(target, before | after, {})
    return copied


async def _copy_checkpoint(source: AsyncConnection, target: AsyncConnection, run_id: str) -> None:
    row = (
        (await source.execute(select(checkpoints).where(checkpoints.c.partition == run_id)))
        .mappings()
        .one()
    )
    values = {**row, "updated_utc": utc_now()}
    insert_ = (sqlite.insert if target.dialect.name == "sqlite" else postgresql.insert)(checkpoints)
    replace = {name: insert_.excluded[name] for name in values if name != "partition"}
    await target.execute(
        insert_.on_conflict_do_update(index_elements=["partition"], set_=replace), [values]
    )


async def _memberships(conn: AsyncConnection, run_id: str) -> set[AggregateKey]:
    query = select(*(run_metrics.c[column] for column in AGGREGATES))
    row = (await conn.execute(query.where(run_metrics.c.run_id == run_id))).first()
    if row is None:
        return set()
    return {(column, str(key)) for column, key in zip(AGGREGATES, row, strict=True) if key}


def _rows_of(table: Table, run_id: str) -> Any:
    if table is bars:
        series = select(run_series.c.series_id).where(run_series.c.run_id == run_id)
        return bars.c.series_id.in_(series)
    if table is instruments:
        return instruments.c.scope == run_id
    return table.c.run_id == run_id
