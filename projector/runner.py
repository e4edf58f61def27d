"""The runner: catches one partition up with the log, batch by batch, exactly once in effect.

For each batch: read the partition's events after its checkpoint and decode them; then, in
one transaction, load the rows their projections read, apply the pure projections in log
order, write the rows and advance the checkpoint (compare-and-set). Crash anywhere and the
next run resumes from the last committed checkpoint, which is also how startup and rebuild
begin.
An event that cannot be decoded or applied halts its partition: the events before it are
committed, the failure (position, event id, error) is recorded and shown in status, and
nothing after it is applied until an operator resumes the partition.
After the last batch the partition's analytics (trades, metrics) are brought up to date in
one more transaction, once per catch-up (projector/analytics/stage.py), or once per job when
a job repeats catch-ups (`analyze`, projector/catch_up.py).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from projector.analytics import affects_analytics, refresh_analytics
from projector.analytics.members import KeptRuns
from projector.log_feed import LogFeed, LogRecord
from projector.projections import project, reads_of
from projector.state import BatchState
from projector.store import CheckpointMoved, ProjectionStore
from schema.codec import decode_stored
from schema.doorbell import CATALOG_PARTITION
from schema.events import Event
from schema.tables.projections import DISCOVERY_CURSOR_KEY


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CatchUpReport:
    """What one catch-up did, for the job's log line and for tests."""

    partition: str
    start: int
    end: int
    applied: int
    seconds: float
    halted: bool = False
    lost_race: bool = False  # another worker advanced the partition first


@dataclass(frozen=True, slots=True)
class _Failure:
    record: LogRecord
    error: str


class Runner:
    """Applies the log to the projection store, one partition at a time."""

    def __init__(
        self,
        feed: LogFeed,
        store: ProjectionStore,
        *,
        batch_size: int = 1000,
        clock: Callable[[], datetime] = utc_now,
        aggregates: bool = True,
    ) -> None:
        """`aggregates=False`: runs' analyses leave instance and strategy metrics to whoever
        calls `refresh_every_aggregate` (a rebuild does, once, at the end). Such a runner
        builds a generation, analyzing each run once: it keeps no analyses between passes."""
        self.feed = feed
        self.store = store
        self.batch_size = batch_size
        self.clock = clock
        self.aggregates = aggregates
        self.kept = KeptRuns() if aggregates else KeptRuns(capacity=0)

    async def catch_up(self, partition: str, *, analytics: bool = True) -> CatchUpReport:
        """Apply every event of `partition` after its checkpoint (until halted or raced),
        then bring its analytics up to date (unless `analytics=False`: see `analyze`)."""
        started = time.perf_counter()
        checkpoint = await self.store.checkpoint(partition)
        if checkpoint is None:
            async with self.store.transaction() as conn:
                await self.store.ensure_partitions(conn, {partition: 0}, self.clock())
            checkpoint = await self.store.checkpoint(partition)
            assert checkpoint is not None
        start = position = checkpoint.position
        applied = 0
        halted = checkpoint.halted_position is not None
        while not halted:
            records = await self.feed.partition_events(partition, position, self.batch_size)
            if not records:
                break
            decoded, failure = _decode(records)
            reads = reads_of(event for _, event in decoded)
            try:
                async with self.store.transaction() as conn:
                    state = BatchState(await self.store.load(reads, conn))
                    done, failure = _apply(decoded, state, failure)
                    end = done[-1].position if done else position
                    await self.store.advance(
                        conn,
                        partition,
                        position,
                        end,
                        len(done),
                        self.clock(),
                        analytics_unaffected=not any(
                            affects_analytics(event) for _, event in decoded[: len(done)]
                        ),
                    )
                    await self.store.flush(conn, state.changes())
                    if failure is not None:
                        await self.store.halt(
                            conn,
                            partition,
                            failure.record.position,
                            failure.record.event_id,
                            failure.error,
                        )
            except CheckpointMoved:
                return CatchUpReport(
                    partition,
                    start,
                    position,
                    applied,
                    time.perf_counter() - started,
                    lost_race=True,
                )
            position, applied = end, applied + len(done)
            halted = failure is not None
            if len(records) < self.batch_size:
                break
        if analytics:
            await self.analyze(partition)  # also after a halt: what was applied
        return CatchUpReport(
            partition, start, position, applied, time.perf_counter() - started, halted=halted
        )

    async def analyze(self, partition: str) -> bool:
        """Bring `partition`'s analytics up to its checkpoint if they are behind (True if it
        did); once after several catch-ups does what each would have done."""
        return await refresh_analytics(
            self.store, partition, kept=self.kept, aggregates=self.aggregates
        )

    async def discover(self) -> list[str]:
        """Record which partitions have new events; return those behind and not halted, and
        those whose analytics are due (the catalog first: runs analyzed after it see the
        instruments and strategies it defines, and need no second analysis for them)."""
        cursor = int(await self.store.get_meta(DISCOVERY_CURSOR_KEY) or 0)
        while True:
            scanned, seen = await self.feed.discover(cursor, limit=50_000)
            if scanned == cursor:
                break
            async with self.store.transaction() as conn:
                await self.store.ensure_partitions(conn, seen, self.clock())
                await self.store.set_meta(conn, DISCOVERY_CURSOR_KEY, str(scanned))
            cursor = scanned
        due = [
            c.partition
            for c in await self.store.all_checkpoints()
            if (c.known_position > c.position and c.halted_position is None)
            or c.analytics_position < c.position  # analytics due (e.g. a crash before them)
        ]
        return sorted(due, key=lambda partition: partition != CATALOG_PARTITION)


def _decode(records: Sequence[LogRecord]) -> tuple[list[tuple[LogRecord, Event]], _Failure | None]:
    """Decode a batch; stop at the first payload this code cannot read."""
    decoded: list[tuple[LogRecord, Event]] = []
    for record in records:
        try:
            decoded.append((record, decode_stored(record.payload)))
        except Exception as exc:  # any decode failure halts: recorded, never skipped
            return decoded, _Failure(record, f"cannot decode: {type(exc).__name__}: {exc}")
    return decoded, None


def _apply(
    decoded: Sequence[tuple[LogRecord, Event]], state: BatchState, failure: _Failure | None
) -> tuple[list[LogRecord], _Failure | None]:
    """Apply decoded events in order; stop at the first one a projection cannot apply."""
    done: list[LogRecord] = []
    for record, event in decoded:
        try:
            state.apply(project(event, record.position, state))
        except Exception as exc:  # a projection bug or an impossible event: halt, record
            return done, _Failure(record, f"cannot apply {event.type}: {type(exc).__name__}: {exc}")
        done.append(record)
    return done, failure
