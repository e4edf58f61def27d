"""The analytics stage: a run's trades, positions, equity curve and metrics, and the instance
and strategy aggregates they belong to, recomputed from the stored rows when they are due.

When. Each checkpoint carries `analytics_position`, the log position its partition's
analytics reflect. A batch that applied an event the analytics read (anything but a heartbeat
or a strategy registration, `affects_analytics`) leaves it behind; a batch that applied
none carries it along if it was current. After a catch-up's last batch the runner calls
`refresh_analytics`, which does the work once if the position is behind. So a 100k-fill run
is reconstructed once per catch-up, not per batch, and a crash between the last batch and
the stage leaves the partition visibly due (`Runner.discover` wakes it).

Why its own transaction, with a compare-and-set (`claim_analytics`) rather than inside the
last batch's: a catch-up cannot know its last batch before reading past it, and the stage
must run after a crash even when no event is left to apply. It reads the full stored state
of the run, not the batch, so any batching of the same log gives the same rows. The claim
fails when another worker moved the partition meanwhile; that worker analyzes it after its
own last batch.

What. A run: every row it owns in trades, trade_lot_matches, open_positions, equity_points
and trade_flags is replaced, its run_metrics row upserted, then the aggregates of its
instance and strategy (before and after, if they changed) are recomputed from their member
runs' stored rows. The catalog: runs trading a symbol whose "*" instrument changed are
re-analyzed, and runs of an instance that changed are moved to the strategy it now names.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.analytics import reads
from projector.analytics.inputs import WILDCARD_SCOPE, computed_position_of, run_inputs_of
from projector.analytics.rows import (
    equity_rows,
    flag_rows,
    match_rows,
    metric_columns,
    open_position_rows,
    run_metrics_row,
    table_row,
    trade_rows,
)
from projector.analytics.sql import (
    lock_aggregates,
    own_analytics,
    replace_rows,
    share_analytics,
    upsert,
)
from projector.analytics.stored import StoredRun, metrics_inputs_of
from projector.metrics import MetricsInputs, aggregate_metrics, report_run
from projector.store import ProjectionStore
from schema.doorbell import CATALOG_PARTITION
from schema.events import Event, RunHeartbeat, StrategyRegistered
from schema.tables.projections import (
    equity_points,
    executions,
    instance_metrics,
    instruments,
    open_positions,
    orders,
    run_metrics,
    strategy_instances,
    strategy_metrics,
    trade_flags,
    trade_lot_matches,
    trades,
)

# run_metrics column naming an aggregate -> the aggregate's table
AGGREGATES = {"instance_id": instance_metrics, "strategy_id": strategy_metrics}
AggregateKey = tuple[str, str]  # (a key of AGGREGATES, the instance or strategy id)


def affects_analytics(event: Event) -> bool:
    """Whether applying `event` can change any analytics row."""
    return not isinstance(event, RunHeartbeat | StrategyRegistered)


async def refresh_analytics(store: ProjectionStore, partition: str) -> bool:
    """Bring `partition`'s analytics up to its checkpoint if they are behind; True if done."""
    checkpoint = await store.checkpoint(partition)
    if checkpoint is None or checkpoint.analytics_position >= checkpoint.position:
        return False
    async with store.writer.begin() as conn:
        if not await store.claim_analytics(conn, checkpoint):
            return False
        if partition == CATALOG_PARTITION:
            await analyze_catalog(conn, checkpoint.analytics_position)
        else:
            await analyze_run(conn, partition)
    return True


def _membership(row: Mapping[str, object] | None) -> set[AggregateKey]:
    if row is None:
        return set()
    return {(column, str(row[column])) for column in AGGREGATES if row[column] is not None}


async def analyze_run(conn: AsyncConnection, run_id: str) -> None:
    """Recompute one run's analytics rows and its aggregates from its stored rows."""
    await share_analytics(conn)
    rows = await reads.run_rows(conn, run_id)
    if rows.run is None:
        return  # every event of a run creates its row; nothing was applied
    inputs, facts = run_inputs_of(rows)
    report = report_run(inputs, facts)
    reconstruction, equity = report.reconstruction, report.equity
    span = report.inputs.span
    metrics = run_metrics_row(
        {
            "run_id": run_id,
            "computed_position": computed_position_of(rows),
            "instance_id": rows.run["instance_id"],
            "strategy_id": await reads.strategy_of(conn, rows.run),
            "initial_balance": equity.initial,
            "start_utc": equity.start_utc,
            "span_start_utc": span[0] if span else None,
            "span_end_utc": span[1] if span else None,
            "periods_per_year": report.inputs.periods_per_year,
        },
        report.metrics,
    )
    written = StoredRun(
        metrics=metrics,
        trades=trade_rows(reconstruction.trades),
        open_positions=open_position_rows(reconstruction.open_positions),
        equity=equity_rows(run_id, equity),
        fills=reconstruction.fills,
        orders=facts.orders,
    )
    previous = await reads.metrics_row(conn, run_id)
    await replace_rows(conn, trades, run_id, written.trades)
    await replace_rows(conn, trade_lot_matches, run_id, match_rows(run_id, reconstruction.matches))
    await replace_rows(conn, open_positions, run_id, written.open_positions)
    await replace_rows(conn, equity_points, run_id, written.equity)
    await replace_rows(conn, trade_flags, run_id, flag_rows(run_id, reconstruction.flags))
    await upsert(conn, run_metrics, [metrics])
    keys = _membership(previous) | _membership(metrics)
    await refresh_aggregates(conn, keys, {run_id: written})


async def refresh_aggregates(
    conn: AsyncConnection, keys: Iterable[AggregateKey], fresh: Mapping[str, StoredRun]
) -> None:
    """Recompute each aggregate from its member runs (`fresh` ones as just written, the
    others as stored); an aggregate left without runs is deleted."""
    wanted = sorted(set(keys))
    await lock_aggregates(conn, [f"{column}:{key}" for column, key in wanted])
    measured: dict[str, MetricsInputs] = {}
    computed: dict[tuple[str, ...], dict[str, Any]] = {}  # an instance and its strategy often
    for column, key in wanted:  # hold the same runs: measure them together once
        table = AGGREGATES[column]
        members = await reads.member_runs(conn, column, key)
        if not members:
            await conn.execute(delete(table).where(table.c[column] == key))
            continue
        run_ids = tuple(member["run_id"] for member in members)
        if run_ids not in computed:
            for member in members:
                if member["run_id"] not in measured:
                    stored = fresh.get(member["run_id"]) or await reads.stored_run(conn, member)
                    measured[member["run_id"]] = metrics_inputs_of(stored)
            computed[run_ids] = metric_columns(aggregate_metrics([measured[r] for r in run_ids]))
        values = {
            column: key,
            "runs": len(members),
            "computed_position": max(member["computed_position"] for member in members),
            **computed[run_ids],
        }
        await upsert(conn, table, [table_row(table, values)])


async def analyze_catalog(conn: AsyncConnection, since: int) -> None:
    """Fan the catalog's changes after position `since` out to the runs they affect."""
    await own_analytics(conn)
    moved = await _moved_between_strategies(conn, since)
    await refresh_aggregates(conn, moved, {})
    for run_id in await _runs_trading_redefined_symbols(conn, since):
        await analyze_run(conn, run_id)


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
