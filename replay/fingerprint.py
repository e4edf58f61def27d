"""A content hash of the projection tables, table by table, to tell whether two stores agree.

For each table: its row count and a SHA-256 over its rows, read in primary-key order
(text keys compared bytewise on every backend), each row encoded as one JSON array. Two stores
built from the same events have equal fingerprints; `differences` names the tables where two
fingerprints disagree. `stratlog verify` compares a shadow rebuild with the live store this
way, and a replay is checked by comparing the run in both stratlogs.

What is left out, because it legitimately differs between two stores holding the same events
(another stratlog assigned its own log positions to them; a rebuild ran at another time):
- every column that records a log position: by the schema's naming rule, a column named
  `position` or ending in `_position` (`last_position`, `first_position`,
  `order_history.position`, `executions.position`, `trades.exit_position`,
  `*_metrics.computed_position`). Rows are still read in key order, so the relative order of
  a run's order history is compared even though its positions are not;
- the projector's bookkeeping tables, `checkpoints` (positions, counters, wall-clock times)
  and `projection_meta` (the discovery cursor).
A test fails when a projection column of another 64-bit integer type appears, so a new column
that records a position cannot slip in under another name unnoticed.

Restricted to one run, the fingerprint covers the rows of that run (tables with a `run_id`,
and the bars of its series), its strategy and instance, and the instruments of its scope and
of every run (`*`); the instance and strategy aggregates are left out, since they also
depend on the other runs of the same instance and strategy.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from sqlalchemy import Column, ColumnElement, Table, Text, select, union
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from replay.stores import open_projection_reader
from schema.settings import StoreSettings
from schema.tables import PROJECTION_METADATA
from schema.tables.projections import (
    bars,
    instance_metrics,
    instruments,
    run_series,
    strategies,
    strategy_instances,
    strategy_metrics,
    strategy_runs,
)

BOOKKEEPING_TABLES = frozenset({"checkpoints", "projection_meta"})
RUN_AGGREGATE_TABLES = frozenset({instance_metrics.name, strategy_metrics.name})
_ROWS_PER_FETCH = 1000


def records_log_position(column: Column[object]) -> bool:
    """True for the columns that hold a log position (the schema's naming rule)."""
    return column.name == "position" or column.name.endswith("_position")


def compared_tables() -> list[Table]:
    """The projection tables a fingerprint covers, in name order."""
    tables = PROJECTION_METADATA.sorted_tables
    return sorted((t for t in tables if t.name not in BOOKKEEPING_TABLES), key=lambda t: t.name)


def compared_columns(table: Table) -> list[Column[object]]:
    """The columns of `table` a fingerprint hashes: all but those holding log positions."""
    return [column for column in table.columns if not records_log_position(column)]


@dataclass(frozen=True, slots=True)
class TableFingerprint:
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Per table (by name) fingerprints of a projection store, or of one run in it."""

    tables: Mapping[str, TableFingerprint]
    run_id: str | None = None


def differences(a: Fingerprint, b: Fingerprint) -> list[str]:
    """One line per table whose fingerprints differ; empty when the stores agree."""
    lines = []
    for name in sorted(a.tables.keys() | b.tables.keys()):
        left, right = a.tables.get(name), b.tables.get(name)
        if left != right:
            lines.append(f"{name}: {_describe(left)} vs {_describe(right)}")
    return lines


async def fingerprint_store(settings: StoreSettings, *, run_id: str | None = None) -> Fingerprint:
    """The fingerprint of the projection store `settings` name."""
    engine = await open_projection_reader(settings)
    try:
        return await fingerprint(engine, run_id=run_id)
    finally:
        await engine.dispose()


async def fingerprint(engine: AsyncEngine, *, run_id: str | None = None) -> Fingerprint:
    """Fingerprint every compared table in one read transaction (one consistent snapshot)."""
    result: dict[str, TableFingerprint] = {}
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        for table in compared_tables():
            if run_id is not None and table.name in RUN_AGGREGATE_TABLES:
                continue
            result[table.name] = await _table_fingerprint(conn, table, run_id)
    return Fingerprint(result, run_id)


async def _table_fingerprint(
    conn: AsyncConnection, table: Table, run_id: str | None
) -> TableFingerprint:
    query = select(*compared_columns(table))
    if run_id is not None:
        query = query.where(rows_of_run(table, run_id))
    bytewise = conn.dialect.name == "postgresql"
    query = query.order_by(
        *(
            column.collate("C") if bytewise and isinstance(column.type, Text) else column
            for column in table.primary_key.columns
        )
    )
    digest, rows = hashlib.sha256(), 0
    stream = await conn.stream(query.execution_options(yield_per=_ROWS_PER_FETCH))
    async for row in stream:
        digest.update(orjson.dumps(list(row), option=orjson.OPT_UTC_Z) + b"\n")
        rows += 1
    return TableFingerprint(rows, digest.hexdigest())


def rows_of_run(table: Table, run_id: str) -> ColumnElement[bool]:
    """The rows of `table` that belong to the run, for a run's fingerprint."""
    if "run_id" in table.c:
        return table.c.run_id == run_id
    if table is bars:
        series = select(run_series.c.series_id).where(run_series.c.run_id == run_id)
        return bars.c.series_id.in_(series)
    if table is instruments:
        return instruments.c.scope.in_((run_id, "*"))
    run = strategy_runs.c.run_id == run_id
    run_instances = select(strategy_runs.c.instance_id).where(run)
    if table is strategy_instances:
        return strategy_instances.c.instance_id.in_(run_instances)
    if table is strategies:
        named = union(
            select(strategy_runs.c.strategy_id).where(run),
            select(strategy_instances.c.strategy_id).where(
                strategy_instances.c.instance_id.in_(run_instances)
            ),
        )
        return strategies.c.strategy_id.in_(named)
    raise ValueError(f"no rule says which rows of {table.name} belong to a run")


def _describe(table: TableFingerprint | None) -> str:
    return "absent" if table is None else f"{table.rows} rows {table.sha256[:12]}"
