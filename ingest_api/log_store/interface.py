"""The event log as the rest of ingest sees it."""

from collections.abc import Sequence
from typing import Protocol

from ingest_api.log_store.model import AppendReceipt, NewEvent, Rejection, StoredEvent


class EventLog(Protocol):
    """Append-only, idempotent, position-ordered store of events (DESIGN §3)."""

    async def append(
        self, events: Sequence[NewEvent], rejections: Sequence[Rejection] = ()
    ) -> AppendReceipt:
        """Append events and quarantine rejections in one durable commit.

        Returns one result per event and one quarantine id per rejection, in input order.
        Raises Overloaded when too much is waiting, StoreUnavailable when the database fails.
        """
        ...

    async def read(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Events with position > after, in position order."""
        ...

    async def read_run(self, run_id: str, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """One run's events with position > after, in position order."""
        ...

    async def head(self) -> int:
        """The highest committed position (0 for an empty log)."""
        ...

    async def get(self, event_id: str) -> StoredEvent | None:
        """The event with this id, if the log has it."""
        ...

    async def close(self) -> None:
        """Finish pending appends and release connections."""
        ...
