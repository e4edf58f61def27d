"""The append-only event log: one interface, a SQLite and a PostgreSQL backend.

Appends go through a group committer (concurrent requests share one transaction), are
idempotent on `event_id`, and return positions. See docs/adr/0001-event-log.md.
"""

from ingest_api.log_store.errors import LogStoreError, Overloaded, StoreUnavailable
from ingest_api.log_store.interface import EventLog
from ingest_api.log_store.model import (
    AppendReceipt,
    AppendResult,
    FieldError,
    NewEvent,
    Outcome,
    Rejection,
    StoredEvent,
)
from ingest_api.log_store.opening import open_event_log

__all__ = [
    "AppendReceipt",
    "AppendResult",
    "EventLog",
    "FieldError",
    "LogStoreError",
    "NewEvent",
    "Outcome",
    "Overloaded",
    "Rejection",
    "StoreUnavailable",
    "StoredEvent",
    "open_event_log",
]
