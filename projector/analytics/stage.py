"""The analytics stage: a run's trades, positions, equity curve and metrics, and the instance
and strategy aggregates they belong to, recomputed from the stored rows when they are due.

When. Each checkpoint carries `analytics_position`, the log position its partition's
analytics reflect. A batch that applied an event the analytics read (anything but a heartbeat
or a strategy registration, `affects_analytics`) leaves it behind; a batch that applied
none carries it along if it was current. After a catch-up's last batch (or a job's last
catch-up) the runner calls `refresh_analytics`, which does the work once if the position is
behind. So a 100k-fill run is analyzed once per catch-up, not per batch, and a crash between
the last batch and the stage leaves the partition visibly due (`Runner.discover` wakes it).

Why its own transaction, with a compare-and-set (`claim_analytics`) rather than inside the
last batch's: a catch-up cannot know its last batch before reading past it, and the stage
must run after a crash even when no event is left to apply. It reflects the full stored
state of the run, not the batch, so any batching of the same log gives the same rows. The
claim fails when another worker moved the partition meanwhile; that worker analyzes it after
its own last batch.

What. A run: its analysis kept by the runner since its last pass is carried on with the rows
changed since (carry_on.py), or the run is analyzed from all its stored rows (run_analysis.py,
whose rows replace every row the run owns in trades, trade_lot_matches, open_positions,
equity_points and trade_flags); its run_metrics row is upserted, then the aggregates of its
instance and strategy (before and after, if they changed) are recomputed from their member
runs (as the runner kept them, else from their stored rows). The catalog: runs trading a
symbol whose "*" instrument changed are re-analyzed, and runs of an instance that changed
are moved to the strategy it now names.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.analytics import reads
from projector.analytics.carry_on import advance
from projector.analytics.inputs import WILDCARD_SCOPE, traded_symbols
from projector.analytics.members import KeptRuns, inputs_size
from projector.analytics.rows import metric_columns, table_row
from projector.analytics.run_analysis import RunAnalysis, analyze
from projector.analytics.sql import (
    lock_aggregates,
    own_analytics,
    share_analytics,
    upsert,
    write_pass,
)
from projector.analytics.stored import metrics_inputs_of
from projector.metrics import MetricsInputs, aggregate_metrics
from projector.store import ProjectionStore
from projector.writes import Row
from schema.doorbell import CATALOG_PARTITION
from schema.events import Event, RunHeartbeat, StrategyRegistered
from schema.tables.projections import (
    executions,
    instance_metrics,
    instruments,
    orders,
    run_metrics,
    strategy_instances,
    strategy_metrics,
)

# run_metrics column naming an aggregate -> the aggregate's table
AGGREGATES = {"instance_id": instance_metrics, "strategy_id": strategy_metrics}
AggregateKey = tuple[str, str]  # (a key of AGGREGATES, the instance or strategy id)


def affects_analytics(event: Event) -> bool:
    """Whether applying `event` can change any analytics row."""
    return not isinstance(event, RunHeartbeat | StrategyRegistered)


async def refresh_analytics(
    store: ProjectionStore,
    partition: str,
    *,
    kept: KeptRuns | None = None,
    aggregates: bool = True,
) -> bool:
    """Bring `partition`'s analytics up to its checkpoint if they are behind; True if done.
    `kept`: the runner's kept runs (a run's pass carries on from its last one);
    `aggregates=False` leaves instance and strategy metrics to `refresh_every_aggregate`."""
    checkpoint = await store.checkpoint(partition)
    if checkpoint is None or checkpoint.analytics_position >= checkpoint.position:
        return False
    async with store.transaction() as conn:
        if not await store.claim_analytics(conn, checkpoint):
            return False
        if partition == CATALOG_PARTITION:
            await analyze_catalog(
                conn, checkpoint.analytics_position, kept=kept, aggregates=aggregates
            )
            return True
        # The claim holds the checkpoint row: no batch of the run commits until this does, so
        # the rows read are those of `checkpoint.position`.
        analysis = await analyze_run(
            conn, partition, kept=kept, aggregates=aggregates, position=checkpoint.position
        )
    if analysis is not None and kept is not None:  # committed: the next pass carries it on
        kept.analyses.put(analysis.metrics, analysis, analysis.size())
    return True


def _membership(row: Mapping[str, object] | None) -> set[AggregateKey]:
    if row is None:
        return set()
    return {(column, str(row[column])) for column in AGGREGATES if row[column] is not None}


async def analyze_run(
    conn: AsyncConnection,
    run_id: str,
    *,
    kept: KeptRuns | None = None,
    aggregates: bool = True,
    position: int | None = None,
) -> RunAnalysis | None:
    """Bring one run's analytics rows, and (unless not asked) its aggregates, up to its
    stored rows; the analysis, to be kept once committed (None when there is no run). With
    the `position` its rows stand at and its last analysis in `kept`, the pass carries that
    on with the rows changed since (projector/analytics/run_analysis.py)."""
    await share_analytics(conn)
    run = await reads.run_row(conn, run_id)
    if run is None:
        return None  # every event of a run creates its row; nothing was applied
    previous = await reads.metrics_row(conn, run_id)
    strategy_id = await reads.strategy_of(conn, run)
    done = None
    last = None
    if kept is not None and previous is not None and position is not None:
        last = kept.analyses.take(previous)
    if kept is not None and last is not None and position is not None:
        symbols = traded_symbols(last.orders.values(), last.executions.values())
        series = last.chosen.values()
        delta = await reads.run_delta(conn, run, last.position, series, symbols)
        done = advance(last, delta, strategy_id, position)
        kept.carried_on += done is not None
    if done is None:
        done = analyze(await reads.run_rows(conn, run_id), strategy_id, position or 0)
    await write_pass(conn, run_id, done)
    analysis = done.analysis
    inputs = analysis.member_inputs()
    if kept is not None:
        kept.members.put(analysis.metrics, inputs, inputs_size(inputs))
    if aggregates:
        keys = _membership(previous) | _membership(analysis.metrics)
        await refresh_aggregates(conn, keys, {run_id: inputs}, kept)
    return analysis if position is not None else None


async def refresh_aggregates(
    conn: AsyncConnection,
    keys: Iterable[AggregateKey],
    fresh: Mapping[str, MetricsInputs],
    kept: KeptRuns | None = None,
) -> None:
    """Recompute each aggregate from its member runs (`fresh` ones as just written, the
    others as `kept` has them or as stored); an aggregate left without runs is deleted."""
    wanted = sorted(set(keys))
    await lock_aggregates(conn, [f"{column}:{key}" for column, key in wanted])
    measured: dict[str, MetricsInputs] = {}
    computed: dict[tuple[str, ...], dict[str, Any]] = {}  # an instance and its strategy often
    for column, key in wanted:  # hold the same runs: measure them together once
        table = AGGREGATES[column]
        runs = await reads.member_runs(conn, column, key)
        if not runs:
            await conn.execute(delete(table).where(table.c[column] == key))
            continue
        run_ids = tuple(member["run_id"] for member in runs)
        if run_ids not in computed:
            for member in runs:
                if member["run_id"] not in measured:
                    measured[member["run_id"]] = await _member_inputs(conn, member, fresh, kept)
            computed[run_ids] = metric_columns(aggregate_metrics([measured[r] for r in run_ids]))
        values = {
            column: key,
            "runs": len(runs),
            "computed_position": max(member["computed_position"] for member in runs),
            **computed[run_ids],
        }
        await upsert(conn, table, [table_row(table, values)])


async def _member_inputs(
    conn: AsyncConnection,
    metrics: Row,
    fresh: Mapping[str, MetricsInputs],
    kept: KeptRuns | None,
) -> MetricsInputs:
    run_id = metrics["run_id"]
    if run_id in fresh:
        return fresh[run_id]
    inputs = kept.members.get(metrics) if kept is not None else None
    if inputs is None:
        inputs = metrics_inputs_of(await reads.stored_run(conn, metrics))
        if kept is not None:
            kept.members.put(metrics, inputs, inputs_size(inputs))
    return inputs


async def refresh_every_aggregate(conn: AsyncConnection) -> None:
    """Recompute every instance and strategy aggregate (and delete those left without runs),
    a strategy at a time: after a build that deferred them, each member run is read once
    per aggregate instead of once per analysis of any of its fellow members."""
    await own_analytics(conn)
    wanted: dict[str, set[AggregateKey]] = {}  # strategy -> its aggregate and its instances'
    for column, table in AGGREGATES.items():
        for key in (await conn.execute(select(table.c[column]))).scalars():
            wanted.setdefault("", set()).add((column, key))  # stored, maybe left without runs
    query = select(run_metrics.c.strategy_id, run_metrics.c.instance_id).distinct()
    for strategy_id, instance_id in (await conn.execute(query)).all():
        named = (("strategy_id", strategy_id), ("instance_id", instance_id))
        wanted.setdefault(strategy_id or "", set()).update((c, k) for c, k in named if k)
    done: set[AggregateKey] = set()
    for group in sorted(wanted):
        keys = wanted[group] - done
        await refresh_aggregates(conn, keys, {})
        done |= keys


async def analyze_catalog(
    conn: AsyncConnection,
    since: int,
    *,
    kept: KeptRuns | None = None,
    aggregates: bool = True,
) -> None:
    """Fan the catalog's changes after position `since` out to the runs they affect (each
    analyzed from scratch: their own partitions may be moving meanwhile)."""
    await own_analytics(conn)
    moved = await _moved_between_strategies(conn, since)
    if aggregates:
        await refresh_aggregates(conn, moved, {}, kept)
    for run_id in await _runs_trading_redefined_symbols(conn, since):
        await analyze_run(conn, run_id, kept=kept, aggregates=aggregates)


async def _moved_between_strategies(conn: AsyncConnection, since: int) -> set[AggregateKey]:
    """Point analyzed runs of re-registered instances at the strategy they now resolve to;
    the strategies they left and joined."""
    changed = select(strategy_instances.c.instance_id).where(
        strategy_instances.c.last_position > since
    )
    query = select(run_metrics.c.run_id, run_metrics.c.strategy_id).where(
        run_metrics.c.instance_id.in_(changed)
    )
    moved: set[AggregateKey] = set()
    for run_id, stored_strategy in (await conn.execute(query.order_by(run_metrics.c.run_id))).all():
        run = await reads.run_row(conn, run_id)
        strategy_id = await reads.strategy_of(conn, run) if run else None
        if strategy_id == stored_strategy:
            continue
        await conn.execute(
            update(run_metrics)
            .where(run_metrics.c.run_id == run_id)
            .values(strategy_id=strategy_id)
        )
        moved |= {("strategy_id", s) for s in (stored_strategy, strategy_id) if s is not None}
    return moved


async def _runs_trading_redefined_symbols(conn: AsyncConnection, since: int) -> Sequence[str]:
    """Analyzed runs with an order or fill in a symbol whose "*" instrument changed."""
    symbols = select(instruments.c.symbol).where(
        instruments.c.scope == WILDCARD_SCOPE, instruments.c.last_position > since
    )
    trading = union(
        select(orders.c.run_id).where(orders.c.symbol.in_(symbols)),
        select(executions.c.run_id).where(executions.c.symbol.in_(symbols)),
    ).subquery()
    query = select(run_metrics.c.run_id).where(run_metrics.c.run_id.in_(select(trading.c.run_id)))
    return (await conn.execute(query.order_by(run_metrics.c.run_id))).scalars().all()
