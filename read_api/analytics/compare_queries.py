"""The reads behind `POST /api/v1/compare`: which ids exist, their metrics rows, the runs each
one holds, and each run's equity curve sampled on a grid.

A run's `equity_points` are numbered `seq` 0, 1, … in time order, so the last point at or
before a time is found by binary search over `seq`, each probe one primary-key lookup. One
recursive query searches for every grid point at once: about points * log2(curve length)
lookups (200 points on a 250,000-point curve: 3,600), whatever the curve's length, instead
of a scan of the whole curve. Comparisons are on the stored times themselves (timestamptz on
PostgreSQL, ISO text on SQLite: schema/tables/types.py), so they are exact to the
microsecond.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Integer,
    Table,
    and_,
    case,
    column,
    literal,
    select,
    values,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from read_api.analytics.queries import Row
from schema.tables.projections import (
    equity_points,
    instance_metrics,
    run_metrics,
    strategies,
    strategy_instances,
    strategy_metrics,
    strategy_runs,
)
from schema.tables.types import UtcDateTime

Kind = Literal["runs", "instances", "strategies"]

_CATALOGUE: dict[Kind, tuple[Table, str]] = {
    "runs": (strategy_runs, "run_id"),
    "instances": (strategy_instances, "instance_id"),
    "strategies": (strategies, "strategy_id"),
}
_METRICS: dict[Kind, tuple[Table, str]] = {
    "runs": (run_metrics, "run_id"),
    "instances": (instance_metrics, "instance_id"),
    "strategies": (strategy_metrics, "strategy_id"),
}
_e = equity_points.c


async def unknown(conn: AsyncConnection, kind: Kind, ids: Sequence[str]) -> list[str]:
    """The ids among `ids` that name no run, instance or strategy, in the order given."""
    table, name = _CATALOGUE[kind]
    query = select(table.c[name]).where(table.c[name].in_(list(ids)))
    known = set((await conn.execute(query)).scalars().all())
    return [key for key in ids if key not in known]


async def metrics_rows(conn: AsyncConnection, kind: Kind, ids: Sequence[str]) -> dict[str, Row]:
    """id -> its metrics row, for those that have one."""
    table, name = _METRICS[kind]
    result = await conn.execute(select(table).where(table.c[name].in_(list(ids))))
    return {row[name]: dict(row) for row in result.mappings().all()}


async def members(
    conn: AsyncConnection, kind: Kind, ids: Sequence[str]
) -> dict[str, list[tuple[str, float]]]:
    """id -> (run id, starting balance) of each run it holds: a run itself; an instance's or
    a strategy's runs as their metrics are aggregated (run_metrics membership), by run id."""
    m = run_metrics.c
    owner = {"runs": m.run_id, "instances": m.instance_id, "strategies": m.strategy_id}[kind]
    query = select(owner, m.run_id, m.initial_balance).where(owner.in_(list(ids)))
    held: dict[str, list[tuple[str, float]]] = {key: [] for key in ids}
    for key, run_id, balance in (await conn.execute(query.order_by(m.run_id))).all():
        held[key].append((run_id, balance or 0.0))
    if kind == "runs":  # a run not analysed yet starts from 0 and has no points
        for key, runs in held.items():
            runs[:] = runs or [(key, 0.0)]
    return held


async def curve_ends(conn: AsyncConnection, run_id: str) -> tuple[datetime, datetime, int] | None:
    """The times of a run's first and last equity points and the last `seq` (None without
    points)."""
    first = select(_e.ts_utc).where(_e.run_id == run_id).order_by(_e.seq).limit(1)
    last = select(_e.ts_utc, _e.seq).where(_e.run_id == run_id).order_by(_e.seq.desc()).limit(1)
    row = (await conn.execute(last)).first()
    if row is None:
        return None
    return (await conn.execute(first)).scalar_one(), row.ts_utc, row.seq


async def sampled(
    conn: AsyncConnection, run_id: str, last_seq: int, grid: Sequence[datetime]
) -> dict[int, float | None]:
    """grid index -> the run's equity at its last point at or before that time (indices
    before its first point are absent)."""
    # A CTE, not a subquery: SQLite cannot name the columns of VALUES in FROM.
    x = (
        values(column("i", Integer), column("x", UtcDateTime), name="grid")
        .data(list(enumerate(grid)))
        .cte("grid")
    )
    anchor = select(x.c.i, x.c.x, literal(-1, BigInteger).label("lo"),
                    literal(last_seq, BigInteger).label("hi"))  # fmt: skip
    # Per grid point: the point at seq lo is at or before x (lo = -1: none is), the one at
    # hi + 1 after it; probing the middle halves [lo, hi] until lo = hi, the answer.
    search = anchor.cte("search", recursive=True)
    mid = (search.c.lo + search.c.hi + 1) // 2
    probe = equity_points.alias("probe")
    at_or_before = probe.c.ts_utc <= search.c.x
    step = (
        select(
            search.c.i,
            search.c.x,
            case((at_or_before, mid), else_=search.c.lo),
            case((at_or_before, search.c.hi), else_=mid - 1),
        )
        .select_from(search.join(probe, and_(probe.c.run_id == run_id, probe.c.seq == mid)))
        .where(search.c.lo < search.c.hi)
    )
    search = search.union_all(step)
    query = (
        select(search.c.i, _e.equity)
        .select_from(search.join(equity_points, and_(_e.run_id == run_id, _e.seq == search.c.lo)))
        .where(search.c.lo == search.c.hi)
    )
    return {int(index): equity for index, equity in (await conn.execute(query)).all()}
