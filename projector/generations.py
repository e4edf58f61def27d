"""The generation control table from the projector's side: create, lease, swap, retire, drop.

`Generations` is the only writer of `projection_generations` (schema/tables/generations.py).
Every change is one short transaction in the log database. The swap is the one that matters:
it marks the new generation live and the previous one retired together, so every reader
that looks at the pointer sees exactly one live generation. A generation being built is
leased: its builder writes a heartbeat (with its progress) every second or so, and another
process takes it over only once the lease is stale (or its owner, on this host, is dead),
so two builders never work on one generation. On PostgreSQL, decisions that read before they
write (which number comes next, whether a rebuild is already under way) hold an advisory
lock; SQLite's writer holds the database's write lock anyway.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projector.leases import LEASE_S, lease_is_free
from projector.versions import Versions, decode_versions, encode_versions
from schema.generations import (
    FIRST_GENERATION,
    generation_name,
    live_generation,
    live_generation_query,
)
from schema.settings import StoreSettings
from schema.storage import is_sqlite, make_engine
from schema.tables.generations import (
    BUILDING,
    DROPPED,
    LIVE,
    REBUILD,
    RETIRED,
    projection_generations,
)

_G = projection_generations.c
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('generations'))")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Progress:
    applied_events: int
    total_events: int
    head_position: int
    events_per_second: float | None


@dataclass(frozen=True, slots=True)
class Generation:
    """One row of the control table."""

    name: str
    number: int
    purpose: str
    reason: str
    status: str
    versions: dict[str, int]
    created_utc: datetime
    swapped_utc: datetime | None
    owner: str | None
    heartbeat_utc: datetime | None
    progress: Progress

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Generation":
        progress = ("applied_events", "total_events", "head_position", "events_per_second")
        fields = {f: row[f] for f in cls.__dataclass_fields__ if f not in ("progress", "versions")}
        return cls(
            **fields,
            versions=decode_versions(row["versions"]),
            progress=Progress(*(row[column] for column in progress)),
        )

    def lease_is_free(self, owner: str, now: datetime, lease_s: float) -> bool:
        """Whether `owner` may take this generation over (its own, unowned, or stale)."""
        return lease_is_free(self.owner, self.heartbeat_utc, owner, now, lease_s)


class Generations:
    """Reads and writes of the control table, through the log store's engines."""

    def __init__(
        self, writer: AsyncEngine, reader: AsyncEngine, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.writer = writer
        self.reader = reader
        self.clock = clock

    @classmethod
    async def open(cls, settings: StoreSettings) -> "Generations":
        """The control table of the log store `settings` name (created if missing)."""
        url = settings.resolved_log_url()
        pg_schema = None if is_sqlite(url) else settings.log_pg_schema
        options: dict[str, Any] = {"synchronous": settings.sqlite_synchronous}
        writer = make_engine(url, role="writer", pg_schema=pg_schema, **options)
        reader = make_engine(url, role="reader", pg_schema=pg_schema, **options)
        generations = cls(writer, reader)
        try:
            await generations._create_table(pg_schema)
        except BaseException:
            await generations.close()
            raise
        return generations

    async def _create_table(self, pg_schema: str | None) -> None:
        # The ingest side creates it with the log's tables; a rebuild may come first. Two
        # PostgreSQL sessions creating one table race on its type: the loser finds it made.
        for attempt in range(2):
            try:
                async with self.writer.begin() as conn:
                    if pg_schema:
                        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{pg_schema}"'))
                    await conn.run_sync(projection_generations.create, checkfirst=True)
                return
            except (IntegrityError, ProgrammingError):
                if attempt:
                    raise

    async def close(self) -> None:
        await self.writer.dispose()
        await self.reader.dispose()

    async def all(self) -> list[Generation]:
        async with self.reader.connect() as conn:
            rows = (await conn.execute(select(projection_generations).order_by(_G.number))).all()
        return [Generation.from_row(dict(row._mapping)) for row in rows]

    async def get(self, name: str) -> Generation | None:
        return next((g for g in await self.all() if g.name == name), None)

    async def live_name(self) -> str:
        live = [g.name for g in await self.all() if g.status == LIVE]
        return live[-1] if live else FIRST_GENERATION

    async def create(
        self, purpose: str, reason: str, versions: Versions, owner: str, live_versions: Versions
    ) -> Generation | None:
        """A new generation, leased to `owner`; None when `purpose` is a rebuild and one is
        already being built. The first generation gets its row (live) on the way."""
        async with self.writer.begin() as conn:
            await _serialize(conn)
            rows = (await conn.execute(select(projection_generations))).mappings().all()
            if purpose == REBUILD and any(
                r["purpose"] == REBUILD and r["status"] == BUILDING for r in rows
            ):
                return None
            now = self.clock()
            if not rows:
                await conn.execute(
                    insert(projection_generations),
                    _new_row(FIRST_GENERATION, 1, REBUILD, "first", LIVE, live_versions, now),
                )
            number = max((r["number"] for r in rows), default=1) + 1
            name = generation_name(number)
            row = _new_row(name, number, purpose, reason, BUILDING, versions, now)
            await conn.execute(insert(projection_generations), {**row, "owner": owner})
        created = await self.get(row["name"])
        assert created is not None
        return created

    async def claim(self, generation: Generation, owner: str, lease_s: float = LEASE_S) -> bool:
        """Take `generation` over if its lease is free; False when someone else holds it."""
        if generation.status != BUILDING:
            return False
        if not generation.lease_is_free(owner, self.clock(), lease_s):
            return False
        async with self.writer.begin() as conn:  # compare-and-set on the lease as read
            result = await conn.execute(
                update(projection_generations)
                .where(
                    _G.name == generation.name,
                    _G.status == BUILDING,
                    _G.owner.is_not_distinct_from(generation.owner),
                    _G.heartbeat_utc.is_not_distinct_from(generation.heartbeat_utc),
                )
                .values(owner=owner, heartbeat_utc=self.clock())
            )
        return bool(result.rowcount == 1)

    async def beat(self, name: str, owner: str, progress: Progress) -> bool:
        """Renew the lease and record progress; False when the lease was lost."""
        async with self.writer.begin() as conn:
            result = await conn.execute(
                update(projection_generations)
                .where(_G.name == name, _G.owner == owner)
                .values(
                    heartbeat_utc=self.clock(),
                    applied_events=progress.applied_events,
                    total_events=progress.total_events,
                    head_position=progress.head_position,
                    events_per_second=progress.events_per_second,
                )
            )
        return bool(result.rowcount == 1)

    async def release(self, name: str, owner: str) -> None:
        """Give the lease up (a rerun can take the generation over at once)."""
        async with self.writer.begin() as conn:
            await conn.execute(
                update(projection_generations)
                .where(_G.name == name, _G.owner == owner)
                .values(owner=None)
            )

    async def swap(self, name: str, owner: str) -> list[str]:
        """Make `name` the live generation and retire the one it replaces, in one
        transaction; the retired names. Fails unless `owner` holds `name`'s lease."""
        now = self.clock()
        async with self.writer.begin() as conn:
            await _serialize(conn)
            result = await conn.execute(
                update(projection_generations)
                .where(_G.name == name, _G.status == BUILDING, _G.owner == owner)
                .values(status=LIVE, swapped_utc=now, owner=None)
            )
            if result.rowcount != 1:
                raise LeaseLost(name)
            retired = (
                await conn.execute(
                    update(projection_generations)
                    .where(_G.status == LIVE, _G.name != name)
                    .values(status=RETIRED, retired_utc=now)
                    .returning(_G.name)
                )
            ).scalars()
            return list(retired)

    async def mark_dropped(self, name: str) -> None:
        async with self.writer.begin() as conn:
            await conn.execute(
                update(projection_generations)
                .where(_G.name == name)
                .values(status=DROPPED, dropped_utc=self.clock(), owner=None)
            )

    async def retired_before(self, cutoff: datetime) -> list[str]:
        query = select(_G.name).where(_G.status == RETIRED, _G.retired_utc < cutoff)
        async with self.reader.connect() as conn:
            return list((await conn.execute(query.order_by(_G.number))).scalars())


async def read_live_generation(log: AsyncEngine) -> str:
    """The live generation named in the log store `log` reads, without writing anything:
    the first generation while the control table does not exist yet."""
    async with log.connect() as conn:
        if not await conn.run_sync(_has_control_table):
            return FIRST_GENERATION
        return live_generation((await conn.execute(live_generation_query())).scalars())


def _has_control_table(conn: Connection) -> bool:
    return inspect(conn).has_table(projection_generations.name)


class LeaseLost(Exception):
    """Another process took the generation over (this one was silent longer than the lease)."""


async def _serialize(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(_LOCK)


def _new_row(
    name: str,
    number: int,
    purpose: str,
    reason: str,
    status: str,
    versions: Versions,
    now: datetime,
) -> dict[str, Any]:
    return {
        "name": name,
        "number": number,
        "purpose": purpose,
        "reason": reason,
        "status": status,
        "versions": encode_versions(versions),
        "created_utc": now,
        "swapped_utc": now if status == LIVE else None,
        "heartbeat_utc": now,
        "applied_events": 0,
        "total_events": 0,
        "head_position": 0,
    }
