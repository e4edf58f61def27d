"""What the live stream (`GET /api/v1/stream`) tells a dashboard: pure change detection.

A partition's `Positions` are its last event in the log and its checkpoint: the position its
projections reflect, the one its analytics (trades, metrics) reflect, and its halt. A client
is told what grew between two readings (`changes`): `ingested`, `projected`, `analyzed`,
`halted`, in the order they happen; each event carries the positions as they stand once it
is told, and an SSE id from which a reconnecting client resumes.

One run's stream keeps that run's exact positions, so its id (`run_token`) holds all four
and a client that resumes is told exactly what it missed. The stream of every run cannot
read every checkpoint each tick, so `RunsWatch` watches only the partitions *behind*
(events not projected or analysed yet, or halted) plus those with new log events, and drops
one once it has caught up: a settled partition changes only when new events arrive, which
the next log read reports. Its id (`runs_token`) is the log head and a low-water mark below
every change still to come to a watched partition; on resume, whatever lies above either is
told again, so nothing is missed but a change may be told twice. (A halt cleared while the
client was away is the exception: no event tells that a halt cleared.)
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, Field

from schema.doorbell import CATALOG_PARTITION

Kind = Literal["ingested", "projected", "analyzed", "halted"]
NEVER = 2**63 - 1  # a floor above every position: the client has seen everything


@dataclass(frozen=True, slots=True)
class Halt:
    position: int
    event_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The columns of a `checkpoints` row the stream reads."""

    position: int
    analytics_position: int
    known_position: int
    halt: Halt | None = None


@dataclass(frozen=True, slots=True)
class Positions:
    partition: str
    log_position: int = 0
    position: int = 0
    analytics_position: int = 0
    halt: Halt | None = None

    @property
    def behind(self) -> bool:
        """Will change without new events: not all projected or analysed, or halted."""
        return (
            self.halt is not None
            or self.position < self.log_position
            or self.analytics_position < self.position
        )


@dataclass(frozen=True, slots=True)
class Change:
    kind: Kind
    told: Positions  # the partition as the client knows it once told


def reading(partition: str, log_position: int, checkpoint: Checkpoint | None) -> Positions:
    """A partition's positions; the log is read before the checkpoint, so a checkpoint ahead
    of that read vouches for events appended in between."""
    if checkpoint is None:
        return Positions(partition, log_position)
    return Positions(
        partition,
        max(log_position, checkpoint.known_position, checkpoint.position),
        checkpoint.position,
        checkpoint.analytics_position,
        checkpoint.halt,
    )


def changes(before: Positions, after: Positions) -> list[Change]:
    """What grew from `before` to `after`. What shrank (a halt cleared) is not told."""
    told = before
    found: list[Change] = []
    if after.log_position > told.log_position:
        told = replace(told, log_position=after.log_position)
        found.append(Change("ingested", told))
    if after.position > told.position:
        told = replace(told, position=after.position)
        found.append(Change("projected", told))
    if after.analytics_position > told.analytics_position:
        told = replace(told, analytics_position=after.analytics_position)
        found.append(Change("analyzed", told))
    if after.halt is not None and _halted_at(after) != _halted_at(told):
        found.append(Change("halted", replace(told, halt=after.halt)))
    return found


@dataclass(frozen=True, slots=True)
class Floor:
    """What a client already knows of a partition it was not told about individually: its log
    events up to `log`, its checkpoint's changes up to `checkpoint`."""

    log: int
    checkpoint: int


def clip(after: Positions, floor: Floor) -> Positions:
    """`after` as the client last knew it, given what `floor` says it knows."""
    return Positions(
        after.partition,
        min(after.log_position, floor.log),
        min(after.position, floor.checkpoint),
        min(after.analytics_position, floor.checkpoint),
        after.halt if _halted_at(after) <= floor.checkpoint else None,
    )


@dataclass
class RunsWatch:
    """The stream of every run between two ticks."""

    head: int  # log events up to here are told
    watched: dict[str, Positions]  # the partitions behind, as told

    def to_read(self, new_events: Iterable[str]) -> list[str]:
        """The checkpoints a tick reads: those watched and those with new events."""
        return sorted(set(self.watched) | set(new_events))

    def advance(
        self,
        head: int,
        new_events: Mapping[str, int],
        checkpoints: Mapping[str, Checkpoint],
        floor: Floor | None = None,
    ) -> list[Change]:
        """Fold a tick: the log head, each partition's last event after the old head, then
        the checkpoints of `to_read(new_events)` (those without a row have none). What the
        client knows of a partition not watched is `floor`: by default the old head, as it
        was settled then and its next change lies above."""
        floor = floor or Floor(self.head, self.head)
        found: list[Change] = []
        for partition in sorted(set(self.to_read(new_events)) | set(checkpoints)):
            known = self.watched.get(partition)
            last = max(new_events.get(partition, 0), known.log_position if known else 0)
            after = reading(partition, last, checkpoints.get(partition))
            found.extend(changes(known or clip(after, floor), after))
            if after.behind:
                self.watched[partition] = after
            else:
                self.watched.pop(partition, None)
        self.head = max(self.head, head)
        return found

    @property
    def low_water(self) -> int:
        """A position below every change still to come to a watched partition."""
        return min([self.head, *(_next_change_above(p) for p in self.watched.values())])


def _next_change_above(positions: Positions) -> int:
    """The position a partition's next checkpoint change will exceed. A halted partition
    only moves its analytics up to its position until the halt is cleared: it must not hold
    every resume back for as long as it stays halted."""
    if positions.halt is None:
        return min(positions.position, positions.analytics_position)
    if positions.analytics_position < positions.position:
        return positions.analytics_position
    return NEVER


def run_token(told: Positions) -> str:
    return f"{told.log_position}.{told.position}.{told.analytics_position}.{_halted_at(told)}"


def runs_token(watch: RunsWatch) -> str:
    return f"{watch.head}.{watch.low_water}"


def parse_token(token: str, parts: int) -> tuple[int, ...]:
    """The positions of a token of `parts` parts; ValueError if it is not one."""
    fields = token.split(".")
    if len(fields) != parts or not all(f.isdigit() and len(f) <= 19 for f in fields):
        raise ValueError(f"not a stream id of this stream: {token!r}")
    return tuple(int(f) for f in fields)


def resumed_run(partition: str, token: str) -> Positions:
    """The positions a `run_token` says the client was told."""
    log, position, analytics, halted = parse_token(token, 4)
    halt = Halt(halted) if halted else None
    return Positions(partition, log, position, analytics, halt)


def _halted_at(positions: Positions) -> int:
    return positions.halt.position if positions.halt else 0


# --- What the events carry ----------------------------------------------------------------


class HaltedAt(BaseModel):
    position: int = Field(description="Log position of the event that could not be applied.")
    event_id: str | None
    error: str | None


class RunPositions(BaseModel):
    """A run's positions (the data of every change event, and of one run's snapshot)."""

    run_id: str | None = Field(description="Null: the catalog (strategies, instances).")
    log_position: int = Field(description="The run's last event in the log.")
    position: int = Field(description="Its projections (runs, orders, fills, bars) reflect it.")
    analytics_position: int = Field(description="Its trades, equity and metrics reflect it.")
    halted: HaltedAt | None = Field(description="Set while its projection is halted.")

    @classmethod
    def of(cls, positions: Positions) -> "RunPositions":
        halt = positions.halt
        return cls(
            run_id=None if positions.partition == CATALOG_PARTITION else positions.partition,
            log_position=positions.log_position,
            position=positions.position,
            analytics_position=positions.analytics_position,
            halted=HaltedAt(position=halt.position, event_id=halt.event_id, error=halt.error)
            if halt
            else None,
        )


class RunsSnapshot(BaseModel):
    """Where the stream of every run starts."""

    log_position: int = Field(description="The log head.")
    behind: list[RunPositions] = Field(
        description="Runs not fully projected or analysed yet, or halted; the rest are settled."
    )
