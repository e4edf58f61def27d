"""Where a replay sends its events: another stratlog, or a file.

A sink takes one batch at a time, in log order, and returns only once the batch is safe at
the destination (acknowledged by the target, written to the file); the replay records its
progress after that, never before. `finish` is called once at the end, with whether every
batch was delivered, so a file sink can make its output appear only when it is complete.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from replay.records import LoggedEvent


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the destination did with one batch."""

    stored: int  # new at the destination
    duplicates: int = 0  # the destination had them already (a replay run twice)


class Sink(Protocol):
    """A destination of replayed events."""

    @property
    def target(self) -> str:
        """What the events go to (a URL, a file), for messages and the resume state."""
        ...

    async def send(self, batch: Sequence[LoggedEvent]) -> Delivery:
        """Deliver `batch`; raise a `ReplayError` when it cannot be delivered."""
        ...

    async def finish(self, *, complete: bool) -> None:
        """Release what the sink holds; `complete` says whether every batch was delivered."""
        ...
