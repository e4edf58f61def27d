"""Verify: rebuild the projections into a scratch generation and compare it with the live one.

The scratch generation is built like a rebuild's (projector/rebuild.py), but never swapped
in. Then both have to reflect the same events: the scratch one catches up with the log again
and verify waits (up to `settle_s`) until every checkpoint of the live one stands where the
scratch one's does; a live projector that is not running, or a checkpoint that was tampered
with, shows as a difference. Then each store is read in one snapshot (one read transaction)
and every projection table is fingerprinted (projector/fingerprint.py) with all its columns
but the checkpoints' write times; `projection_meta` (discovery cursor, versions) is left out.
Tables whose fingerprints differ get a few differing keys. The scratch generation is
dropped at the end whatever happened (or, if this process dies, by the next rebuild or
verify). A live generation built by other projection versions than this code's cannot be
compared like with like, so verify refuses it.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.fingerprint import KeyDifference, TableFingerprint, differing_keys, table_fingerprint
from projector.rebuild import build_aggregates, catch_up_until_quiet
from projector.rebuild_progress import ProgressHook, applied_events
from projector.runner import Runner
from projector.scratch import scratch_generation
from projector.store import ProjectionStore
from projector.versions import PROJECTION_VERSIONS, Versions
from schema.settings import StoreSettings
from schema.tables.generations import VERIFY
from schema.tables.projections import PROJECTION_METADATA, checkpoints

SETTLE_S = 30.0
_SETTLE_POLL_S = 0.2
_UNCOMPARED = {"projection_meta": None, "checkpoints": {"updated_utc"}}  # None: whole table


@dataclass(frozen=True, slots=True)
class TableComparison:
    table: str
    live: TableFingerprint
    shadow: TableFingerprint
    keys: list[KeyDifference]  # "only left": only in the live one; "only right": the shadow

    @property
    def same(self) -> bool:
        return self.live == self.shadow


@dataclass(frozen=True, slots=True)
class VerifyReport:
    live: str
    shadow: str
    events: int
    build_seconds: float
    settled: bool  # both stores reflected the same events when compared
    tables: list[TableComparison]

    @property
    def identical(self) -> bool:
        return all(t.same for t in self.tables)


def compared_tables() -> list[Table]:
    return [
        t for name, t in sorted(PROJECTION_METADATA.tables.items()) if name != "projection_meta"
    ]


def compared_columns(table: Table) -> list[Column[Any]]:
    """All of `table`'s columns but those that record when a row was written."""
    left_out = _UNCOMPARED.get(table.name) or set()
    return [column for column in table.columns if column.name not in left_out]


async def verify(
    settings: StoreSettings,
    *,
    versions: Versions = PROJECTION_VERSIONS,
    batch_size: int = 1000,
    on_progress: ProgressHook | None = None,
    settle_s: float = SETTLE_S,
) -> VerifyReport:
    """Build a scratch generation from the log, compare it with the live one, drop it."""
    async with scratch_generation(settings, VERIFY, "verify", versions) as scratch:
        runner = Runner(scratch.feed, scratch.store, batch_size=batch_size, aggregates=False)
        async with scratch.meter(on_progress) as meter:
            await catch_up_until_quiet(runner)
            await build_aggregates(scratch.store)
        seconds = meter.seconds
        settled, tables = await _compare_when_settled(scratch.live, scratch.store, runner, settle_s)
        events = await applied_events(scratch.store)
        return VerifyReport(scratch.live_name, scratch.name, events, seconds, settled, tables)


async def _compare_when_settled(
    live: ProjectionStore, shadow: ProjectionStore, runner: Runner, settle_s: float
) -> tuple[bool, list[TableComparison]]:
    deadline = time.monotonic() + settle_s
    while True:
        async with _snapshot(live) as a, _snapshot(shadow) as b:
            settled = await _positions(a) == await _positions(b)
            if settled or time.monotonic() > deadline:
                return settled, [await _compare(a, b, table) for table in compared_tables()]
        if await catch_up_until_quiet(runner, rounds=1):  # events appended since the build
            await build_aggregates(shadow)
        await asyncio.sleep(_SETTLE_POLL_S)  # and the live projector's turn


async def _positions(conn: AsyncConnection) -> dict[str, tuple[Any, ...]]:
    c = checkpoints.c
    query = select(c.partition, c.position, c.analytics_position, c.halted_position)
    return {row[0]: tuple(row[1:]) for row in (await conn.execute(query)).all()}


async def _compare(a: AsyncConnection, b: AsyncConnection, table: Table) -> TableComparison:
    columns = compared_columns(table)
    left, right = (
        await table_fingerprint(a, table, columns),
        await table_fingerprint(b, table, columns),
    )
    keys = [] if left == right else await differing_keys(a, b, table, columns)
    return TableComparison(table.name, left, right, keys)


@asynccontextmanager
async def _snapshot(store: ProjectionStore) -> AsyncIterator[AsyncConnection]:
    """One read transaction on `store`: every query in it sees the same committed state."""
    async with store.reader.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn
