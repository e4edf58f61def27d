"""The live stream's two feeds, one run's and every run's: what they read, and when.

A feed opens (a first `snapshot`, or on resume the changes since the client's id) and then
ticks; each returns the SSE events to send. Every read is small and indexed: a run's last
event by (run_id, position), the new events of every run by position after the last head,
checkpoints by partition. The log is read before the checkpoints (see `stream.reading`).
Only opening every run's feed scans the checkpoints, for the partitions behind. Driver
errors become `StoreUnavailable`, a run with neither events nor a checkpoint `NotFound`,
an id that is not one of the feed's `InvalidParameter`.
"""

from collections.abc import Iterable, Sequence

from fastapi.sse import ServerSentEvent
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from read_api.connections import reading
from read_api.errors import InvalidParameter, NotFound
from read_api.status import StatusStores
from read_api.stream import (
    NEVER,
    Change,
    Checkpoint,
    Floor,
    Halt,
    Positions,
    RunPositions,
    RunsSnapshot,
    RunsWatch,
    changes,
    parse_token,
    resumed_run,
    run_token,
    runs_token,
)
from read_api.stream import reading as positions_of
from schema.doorbell import partition_key
from schema.tables import ingest_events
from schema.tables.log import partition_filter, run_id_for_grouping
from schema.tables.projections import DISCOVERY_CURSOR_KEY, checkpoints, projection_meta

_PARTITIONS_PER_QUERY = 500  # bound parameters of one IN list, well under every driver's cap


class RunFeed:
    """One run's positions, told exactly: its ids hold all of them."""

    def __init__(self, stores: StatusStores, partition: str) -> None:
        self.stores = stores
        self.partition = partition
        self.told = Positions(partition)

    async def open(self, last_event_id: str | None, *, wait: bool) -> list[ServerSentEvent]:
        """A `snapshot`, or what changed since `last_event_id` when it is one of ours."""
        now, known = await self._read()
        if not known and not wait:
            raise NotFound(f"no run {self.partition!r} (wait=true follows it before it starts)")
        if last_event_id is not None:
            try:
                before = resumed_run(self.partition, last_event_id)
            except ValueError as exc:
                raise InvalidParameter(f"Last-Event-ID: {exc}") from exc
            if before.log_position <= now.log_position:  # else: not this store's; start over
                self.told = now
                return _each_with_id(changes(before, now))
        self.told = now
        return [_event("snapshot", RunPositions.of(now), run_token(now))]

    async def tick(self) -> list[ServerSentEvent]:
        now, _ = await self._read()
        found = changes(self.told, now)
        self.told = now
        return _each_with_id(found)

    async def _read(self) -> tuple[Positions, bool]:
        """The run's positions, and whether it has events or a checkpoint at all."""
        async with reading(self.stores.log, "log") as conn:
            query = select(func.max(ingest_events.c.position)).where(
                partition_filter(self.partition)
            )
            last = int((await conn.execute(query)).scalar() or 0)
        async with reading(self.stores.projections) as conn:
            rows = await _checkpoints(conn, checkpoints.c.partition == self.partition)
        checkpoint = rows.get(self.partition)
        return positions_of(self.partition, last, checkpoint), bool(last or checkpoint)


class RunsFeed:
    """Every run: the partitions with new events and those behind, told at least once."""

    def __init__(self, stores: StatusStores) -> None:
        self.stores = stores
        self.watch = RunsWatch(head=0, watched={})

    async def open(self, last_event_id: str | None) -> list[ServerSentEvent]:
        """A `snapshot` of the runs behind, or what changed since `last_event_id`."""
        resumed: tuple[int, ...] | None = None
        if last_event_id is not None:
            try:
                resumed = parse_token(last_event_id, 2)
            except ValueError as exc:
                raise InvalidParameter(f"Last-Event-ID: {exc}") from exc
        c = checkpoints.c
        behind = [
            c.position < c.known_position,
            c.analytics_position < c.position,
            c.halted_position.is_not(None),
        ]
        if resumed:  # and whatever moved above the client's low-water mark since
            low = resumed[1]
            behind += [c.position > low, c.analytics_position > low, c.halted_position > low]
        cursor_query = select(projection_meta.c.value).where(
            projection_meta.c.key == DISCOVERY_CURSOR_KEY
        )
        async with reading(self.stores.projections) as conn:
            rows = await _checkpoints(conn, or_(*behind))
            cursor = int((await conn.execute(cursor_query)).scalar() or 0)
        # Partitions the projector has not discovered have all their events after its
        # cursor; on resume, those after the client's head are news too.
        since = min(cursor, resumed[0]) if resumed else cursor
        head, new_events = await self._log_after(since)
        rows |= await self._checkpoints_of(set(new_events) - set(rows))
        if resumed and resumed[0] <= head:  # else: not this store's id; start over
            floor = Floor(log=resumed[0], checkpoint=resumed[1])
            found = self.watch.advance(head, new_events, rows, floor)
            return _last_with_id(found, self.token)
        self.watch.advance(head, new_events, rows, Floor(NEVER, NEVER))
        snapshot = RunsSnapshot(
            log_position=head,
            behind=[RunPositions.of(p) for _, p in sorted(self.watch.watched.items())],
        )
        return [_event("snapshot", snapshot, self.token)]

    async def tick(self) -> list[ServerSentEvent]:
        head, new_events = await self._log_after(self.watch.head)
        rows = await self._checkpoints_of(self.watch.to_read(new_events))
        found = self.watch.advance(head, new_events, rows)
        return _last_with_id(found, self.token)

    @property
    def token(self) -> str:
        return runs_token(self.watch)

    async def _log_after(self, position: int) -> tuple[int, dict[str, int]]:
        """The log head, and the last event of each partition with events after `position`."""
        e = ingest_events.c
        run_id = run_id_for_grouping()
        query = select(run_id, func.max(e.position)).where(e.position > position).group_by(run_id)
        async with reading(self.stores.log, "log") as conn:
            head = int((await conn.execute(select(func.max(e.position)))).scalar() or 0)
            found = {partition_key(run_id): int(last) for run_id, last in await conn.execute(query)}
        return head, found

    async def _checkpoints_of(self, partitions: Iterable[str]) -> dict[str, Checkpoint]:
        names = sorted(partitions)
        found: dict[str, Checkpoint] = {}
        if not names:
            return found
        async with reading(self.stores.projections) as conn:
            for start in range(0, len(names), _PARTITIONS_PER_QUERY):
                chunk = names[start : start + _PARTITIONS_PER_QUERY]
                found |= await _checkpoints(conn, checkpoints.c.partition.in_(chunk))
        return found


async def _checkpoints(conn: AsyncConnection, where: ColumnElement[bool]) -> dict[str, Checkpoint]:
    c = checkpoints.c
    query = select(
        c.partition,
        c.position,
        c.analytics_position,
        c.known_position,
        c.halted_position,
        c.halted_event_id,
        c.halted_error,
    ).where(where)
    found = {}
    for name, position, analytics, known, halted, event_id, error in await conn.execute(query):
        halt = Halt(int(halted), event_id, error) if halted is not None else None
        found[name] = Checkpoint(int(position), int(analytics), int(known), halt)
    return found


def _each_with_id(found: Sequence[Change]) -> list[ServerSentEvent]:
    """One run's events: each id holds the positions told so far."""
    return [_event(c.kind, RunPositions.of(c.told), run_token(c.told)) for c in found]


def _last_with_id(found: Sequence[Change], token: str) -> list[ServerSentEvent]:
    """Every run's events: only the last of a tick carries the id (an event without one
    leaves the client's last id as it was), so a client cut off mid-tick resumes before it."""
    return [
        _event(c.kind, RunPositions.of(c.told), token if i == len(found) - 1 else None)
        for i, c in enumerate(found)
    ]


def _event(kind: str, data: RunPositions | RunsSnapshot, event_id: str | None) -> ServerSentEvent:
    return ServerSentEvent(event=kind, data=data, id=event_id)
