"""What goes into the log store and what comes back: plain, immutable records."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A validated event ready to append: canonical payload and the columns derived from it."""

    event_id: str
    event_type: str
    schema_version: int
    run_id: str | None
    event_utc: datetime | None  # the event's own time; the store falls back to received_utc
    payload: str  # canonical JSON (schema.codec.encode_event)
    source: str
    item_index: int = 0  # index in the client's request, kept if the event is quarantined


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason an item was refused: a dotted field path ("" for the item) and a message."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """An item that could not become an event, kept in quarantine with its raw text."""

    item_index: int
    raw: str
    errors: tuple[FieldError, ...]
    source: str
    event_id: str | None = None
    event_type: str | None = None
    run_id: str | None = None


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # same event_id, same content: nothing appended
    CONFLICT = "conflict"  # same event_id, other content: quarantined, nothing appended


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What happened to one NewEvent. `position` is the event's (or the original's) position;
    a conflict also carries the quarantine row that keeps the refused content."""

    outcome: Outcome
    position: int
    quarantine_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppendReceipt:
    """The answer to one append call, in the order of its inputs."""

    results: tuple[AppendResult, ...]
    quarantine_ids: tuple[int, ...] = field(default=())  # one per Rejection, same order


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row of the log."""

    position: int
    event_id: str
    event_type: str
    schema_version: int
    run_id: str | None
    event_utc: datetime
    received_utc: datetime
    payload: str
    source: str
