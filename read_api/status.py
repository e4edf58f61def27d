"""Projection status: how far each partition's projection is behind the log, and why.

Figures come from the stores themselves, never from the projector's memory, so a dead
projector shows as growing lag: the log head, each checkpoint (and its halt, if any), the
partition's events in the log after its checkpoint (their count, and the age of the oldest by
its received time) and the partitions with events the projector has not discovered yet. The
doorbell counters come from a `DoorbellSource`; one that fails reads as null, so status keeps
answering while Redis is down. `/api/status` and `/metrics` both serve a `ProjectionStatus`.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from read_api.connections import reading
from read_api.rebuild_status import RebuildStatus, read_generations
from schema.doorbell import CATALOG_PARTITION, COUNTERS, STATS_KEY
from schema.tables import ingest_events
from schema.tables.log import partition_filter, run_id_for_grouping
from schema.tables.projections import DISCOVERY_CURSOR_KEY, checkpoints, projection_meta

logger = structlog.get_logger(__name__)

_PARTITIONS_PER_QUERY = 200  # UNION ALL branches; SQLite allows 500 per compound select

DoorbellSource = Callable[[], Awaitable[Mapping[str, int]]]
Row = dict[str, Any]  # a checkpoint row, as the database returns it


class HaltedPartition(BaseModel):
    """A partition stopped at an event it could not apply (nothing after it is applied)."""

    partition: str
    position: int = Field(description="Log position of the event that could not be applied.")
    event_id: str | None
    error: str | None


class PartitionStatus(BaseModel):
    """One partition (a run, or "catalog") and how far its projection is behind the log."""

    partition: str
    position: int = Field(description="Last log position applied.")
    known_position: int = Field(description="Last position of the partition the projector saw.")
    applied_events: int
    updated_utc: datetime | None = Field(description="Null: not discovered by the projector yet.")
    lag_events: int = Field(description="The partition's events in the log after `position`.")
    lag_seconds: float = Field(description="Age of the oldest of them (received); 0 if none.")
    halted: HaltedPartition | None


class StatusTotals(BaseModel):
    partitions: int
    halted: int
    lag_events: int = Field(description="Sum over partitions.")
    max_lag_events: int
    max_lag_seconds: float


class ProjectionStatus(BaseModel):
    """Where the projections stand against the log."""

    as_of_utc: datetime
    log_head_position: int = Field(description="Last position in the log (0 when empty).")
    partitions: list[PartitionStatus] = Field(description="By partition name.")
    halted: list[HaltedPartition]
    totals: StatusTotals
    doorbell: dict[str, int] | None = Field(
        description="Doorbell counters (schema.doorbell); null when they could not be read."
    )
    generation: str = Field(description="The projection generation served (docs/operations.md).")
    rebuild: RebuildStatus | None = Field(
        description="The generation being built beside it, with its progress; null: none."
    )


class StatusStores:
    """Reader engines on the log store and the projection store.

    `projections` may be given as a function, asked at every use: the read app passes its
    live generation's (read_api/generations.py), so holders follow a rebuild's swap.
    """

    def __init__(
        self, log: AsyncEngine, projections: AsyncEngine | Callable[[], AsyncEngine]
    ) -> None:
        self.log = log
        self._projections = projections

    @property
    def projections(self) -> AsyncEngine:
        source = self._projections
        return source if isinstance(source, AsyncEngine) else source()


@dataclass(frozen=True)
class _Lag:
    events: int
    oldest_received_utc: datetime | None


async def gather_status(
    stores: StatusStores, doorbell: DoorbellSource, now: datetime
) -> ProjectionStatus:
    """Read the stores and the doorbell counters into one status as of `now`."""
    stored, cursor = await _checkpoints(stores.projections)
    head, lags, undiscovered = await _log_figures(stores.log, stored, cursor)
    partitions = [
        _partition(name, lag, now, stored.get(name))
        for name, lag in sorted((lags | undiscovered).items())
    ]
    halted = [p.halted for p in partitions if p.halted is not None]
    generation, rebuild = await read_generations(stores.log)
    return ProjectionStatus(
        as_of_utc=now,
        log_head_position=head,
        partitions=partitions,
        halted=halted,
        totals=StatusTotals(
            partitions=len(partitions),
            halted=len(halted),
            lag_events=sum(p.lag_events for p in partitions),
            max_lag_events=max((p.lag_events for p in partitions), default=0),
            max_lag_seconds=max((p.lag_seconds for p in partitions), default=0.0),
        ),
        doorbell=await read_doorbell(doorbell),
        generation=generation,
        rebuild=rebuild,
    )


def _partition(name: str, lag: _Lag, now: datetime, checkpoint: Row | None) -> PartitionStatus:
    """A partition's figures; without a checkpoint, the projector has not discovered it."""
    row = checkpoint or {}
    halted = None
    if row.get("halted_position") is not None:
        halted = HaltedPartition.model_validate(
            {
                "partition": name,
                "position": row["halted_position"],
                "event_id": row["halted_event_id"],
                "error": row["halted_error"],
            }
        )
    oldest = lag.oldest_received_utc
    return PartitionStatus.model_validate(
        {
            "partition": name,
            "position": row.get("position", 0),
            "known_position": row.get("known_position", 0),
            "applied_events": row.get("applied_events", 0),
            "updated_utc": row.get("updated_utc"),
            "lag_events": lag.events,
            # A clock behind the ingest host's must not report negative lag.
            "lag_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            "halted": halted,
        }
    )


async def _checkpoints(engine: AsyncEngine) -> tuple[dict[str, Row], int]:
    """Every checkpoint row by partition, and the discovery cursor (0 when unknown)."""
    cursor_query = select(projection_meta.c.value).where(
        projection_meta.c.key == DISCOVERY_CURSOR_KEY
    )
    async with reading(engine) as conn:
        rows = (await conn.execute(select(checkpoints))).mappings().all()
        cursor = (await conn.execute(cursor_query)).scalar()
    return {row["partition"]: dict(row) for row in rows}, int(cursor or 0)


async def _log_figures(
    engine: AsyncEngine, stored: Mapping[str, Row], cursor: int
) -> tuple[int, dict[str, _Lag], dict[str, _Lag]]:
    """The log head, the lag of each checkpointed partition, and the partitions with events
    but no checkpoint yet (all of their events lie after the discovery cursor)."""
    e = ingest_events.c
    positions = {name: int(row["position"]) for name, row in stored.items()}
    grouped = run_id_for_grouping()
    undiscovered_query = (
        select(grouped, func.count(), func.min(e.received_utc))
        .where(e.position > cursor)
        .group_by(grouped)
    )
    async with reading(engine, "log") as conn:
        head = int((await conn.execute(select(func.max(e.position)))).scalar() or 0)
        lags: dict[str, _Lag] = {name: _Lag(0, None) for name in positions}
        ordered = sorted(positions.items())
        for start in range(0, len(ordered), _PARTITIONS_PER_QUERY):
            chunk = ordered[start : start + _PARTITIONS_PER_QUERY]
            # One index range on (run_id, position) per partition, many per round trip.
            query = union_all(
                *(
                    select(literal(name), func.count(), func.min(e.received_utc)).where(
                        partition_filter(name), e.position > after
                    )
                    for name, after in chunk
                )
            )
            found: Sequence[tuple[str, int, datetime | None]] = (await conn.execute(query)).all()
            for name, count, oldest in found:
                lags[name] = _Lag(int(count), oldest)
        undiscovered: dict[str, _Lag] = {}
        for run_id, count, oldest in (await conn.execute(undiscovered_query)).all():
            name = run_id if run_id is not None else CATALOG_PARTITION
            if name not in positions:
                undiscovered[name] = _Lag(int(count), oldest)
    return head, lags, undiscovered


# --- Doorbell counters --------------------------------------------------------------------


async def no_doorbell() -> Mapping[str, int]:
    """The counters of a process without a doorbell: all zero."""
    return {}


def redis_doorbell(client: "Redis") -> DoorbellSource:
    """Counters from the Redis hash ingest processes and workers count into."""

    async def read() -> Mapping[str, int]:
        raw: dict[bytes, bytes] = await client.hgetall(STATS_KEY)  # type: ignore[misc]
        return {key.decode(): int(value) for key, value in raw.items()}

    return read


async def read_doorbell(source: DoorbellSource) -> dict[str, int] | None:
    """Every counter of schema.doorbell.COUNTERS (0 when never counted), or None when the
    source cannot be read: status must not fail because Redis did."""
    try:
        values = await source()
        return {name: int(values.get(name, 0)) for name in COUNTERS}
    except (RedisError, OSError, TimeoutError, ValueError) as exc:
        logger.warning("doorbell counters could not be read", error=str(exc))
        return None
