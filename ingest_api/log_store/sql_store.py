"""The event log on a SQL database (SQLite or PostgreSQL), through SQLAlchemy Core.

Appends run under the log's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
transaction-level advisory lock, see `locks.py`): read the head, look up which event ids
already exist, assign the next positions to the new ones, insert, commit. Because appends are
serialized and positions are assigned in the same transaction, a later position can never
become visible before an earlier one (DESIGN §3.4), and positions have no gaps at all.
Idempotency rests on the UNIQUE index on event_id; the lookup only decides which outcome to
report.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, func, insert, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ingest_api.log_store.errors import LogStoreError, StoreUnavailable
from ingest_api.log_store.group_commit import AppendRequest, GroupCommitter
from ingest_api.log_store.locks import WriteLock
from ingest_api.log_store.model import (
    AppendReceipt,
    AppendResult,
    FieldError,
    NewEvent,
    Outcome,
    Rejection,
    StoredEvent,
)
from schema.tables import ingest_events, quarantine

_LOOKUP_CHUNK = 900  # ids per IN (...) lookup; well under every backend's parameter limit
_DRIVER_ERRORS = (DBAPIError, OSError, TimeoutError)


class SqlEventLog:
    """EventLog over a writer engine (appends) and a reader engine (reads)."""

    def __init__(
        self,
        writer: AsyncEngine,
        reader: AsyncEngine,
        lock: WriteLock,
        clock: Callable[[], datetime],
        *,
        max_pending_events: int,
        max_batch_events: int,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = lock
        self._clock = clock
        self._committer = GroupCommitter(
            self._write_group,
            max_pending_events=max_pending_events,
            max_batch_events=max_batch_events,
        )

    @property
    def pending_events(self) -> int:
        """Events queued for the group committer (for status and back-pressure)."""
        return self._committer.pending_events

    async def append(
        self, events: Sequence[NewEvent], rejections: Sequence[Rejection] = ()
    ) -> AppendReceipt:
        return await self._committer.submit(AppendRequest(events, rejections))

    async def read(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        query = (
            select(ingest_events)
            .where(ingest_events.c.position > after)
            .order_by(ingest_events.c.position)
            .limit(limit)
        )
        return await self._fetch(query)

    async def read_run(self, run_id: str, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        query = (
            select(ingest_events)
            .where(ingest_events.c.run_id == run_id, ingest_events.c.position > after)
            .order_by(ingest_events.c.position)
            .limit(limit)
        )
        return await self._fetch(query)

    async def head(self) -> int:
        try:
            async with self._reader.connect() as conn:
                return await _head(conn)
        except _DRIVER_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get(self, event_id: str) -> StoredEvent | None:
        found = await self._fetch(select(ingest_events).where(ingest_events.c.event_id == event_id))
        return found[0] if found else None

    async def close(self) -> None:
        await self._committer.close()
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()

    async def _fetch(self, query: Any) -> list[StoredEvent]:
        try:
            async with self._reader.connect() as conn:
                rows = (await conn.execute(query)).all()
        except _DRIVER_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [_stored(row) for row in rows]

    async def _write_group(
        self, requests: Sequence[AppendRequest]
    ) -> list[AppendReceipt | LogStoreError]:
        try:
            return list(await self._commit(requests))
        except StoreUnavailable as exc:
            if len(requests) == 1 or not _is_data_error(exc.__cause__):
                raise
        # One request's data broke the shared transaction: commit the others without it.
        outcomes: list[AppendReceipt | LogStoreError] = []
        for request in requests:
            try:
                outcomes.extend(await self._commit([request]))
            except StoreUnavailable as exc:
                outcomes.append(exc)
        return outcomes

    async def _commit(self, requests: Sequence[AppendRequest]) -> list[AppendReceipt]:
        try:
            async with self._writer.begin() as conn:
                await self._lock.acquire(conn)
                return await _append_in_transaction(conn, requests, self._clock())
        except _DRIVER_ERRORS as exc:
            raise StoreUnavailable(f"the log store refused the write: {exc}") from exc


def _is_data_error(exc: BaseException | None) -> bool:
    """A failure caused by what was written (not by the database being unreachable)."""
    return isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError | InterfaceError)


async def _append_in_transaction(
    conn: AsyncConnection, requests: Sequence[AppendRequest], received_utc: datetime
) -> list[AppendReceipt]:
    head = await _head(conn)
    known = await _existing(conn, (e.event_id for r in requests for e in r.events))
    quarantined = _QuarantineBatch(await _last_quarantine_id(conn), received_utc)
    rows: list[dict[str, Any]] = []
    receipts: list[AppendReceipt] = []
    for request in requests:
        results: list[AppendResult] = []
        for event in request.events:
            seen = known.get(event.event_id)
            if seen is None:
                head += 1
                known[event.event_id] = (head, event.payload)
                rows.append(_row(event, head, received_utc))
                results.append(AppendResult(Outcome.ACCEPTED, head))
            elif seen[1] == event.payload:
                results.append(AppendResult(Outcome.DUPLICATE, seen[0]))
            else:
                quarantine_id = quarantined.add(_conflict_rejection(event, seen[0]))
                results.append(AppendResult(Outcome.CONFLICT, seen[0], quarantine_id))
        quarantine_ids = tuple(quarantined.add(r) for r in request.rejections)
        receipts.append(AppendReceipt(tuple(results), quarantine_ids))
    if rows:
        await conn.execute(insert(ingest_events), rows)
    if quarantined.rows:
        await conn.execute(insert(quarantine), quarantined.rows)
    return receipts


class _QuarantineBatch:
    """Quarantine rows of one transaction, ids assigned under the write lock like positions."""

    def __init__(self, last_id: int, received_utc: datetime) -> None:
        self.last_id = last_id
        self.received_utc = received_utc
        self.rows: list[dict[str, Any]] = []

    def add(self, rejection: Rejection) -> int:
        self.last_id += 1
        errors = [{"field": e.field, "message": e.message} for e in rejection.errors]
        self.rows.append(
            {
                "quarantine_id": self.last_id,
                "received_utc": self.received_utc,
                "source": rejection.source,
                "item_index": rejection.item_index,
                "event_id": rejection.event_id,
                "event_type": rejection.event_type,
                "run_id": rejection.run_id,
                "raw": rejection.raw,
                "errors": orjson.dumps(errors).decode(),
                "status": "OPEN",
                "resubmitted_position": None,
            }
        )
        return self.last_id


async def _last_quarantine_id(conn: AsyncConnection) -> int:
    value = (await conn.execute(select(func.max(quarantine.c.quarantine_id)))).scalar_one()
    return int(value or 0)


async def _head(conn: AsyncConnection) -> int:
    value = (await conn.execute(select(func.max(ingest_events.c.position)))).scalar_one()
    return int(value or 0)


async def _existing(conn: AsyncConnection, event_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """position and payload of each of these ids already in the log."""
    unique = list(dict.fromkeys(event_ids))
    found: dict[str, tuple[int, str]] = {}
    column = ingest_events.c
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        chunk = unique[start : start + _LOOKUP_CHUNK]
        query = select(column.event_id, column.position, column.payload).where(
            column.event_id.in_(chunk)
        )
        for event_id, position, payload in (await conn.execute(query)).all():
            found[event_id] = (position, payload)
    return found


def _conflict_rejection(event: NewEvent, original_position: int) -> Rejection:
    message = (
        f"event_id {event.event_id!r} is already in the log at position {original_position} "
        "with different content"
    )
    return Rejection(
        item_index=event.item_index,
        raw=event.payload,
        errors=(FieldError("event_id", message),),
        source=event.source,
        event_id=event.event_id,
        event_type=event.event_type,
        run_id=event.run_id,
    )


def _row(event: NewEvent, position: int, received_utc: datetime) -> dict[str, Any]:
    return {
        "position": position,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "run_id": event.run_id,
        "event_utc": event.event_utc or received_utc,
        "received_utc": received_utc,
        "payload": event.payload,
        "source": event.source,
    }


def _stored(row: Row[Any]) -> StoredEvent:
    return StoredEvent(
        position=row.position,
        event_id=row.event_id,
        event_type=row.event_type,
        schema_version=row.schema_version,
        run_id=row.run_id,
        event_utc=row.event_utc,
        received_utc=row.received_utc,
        payload=row.payload,
        source=row.source,
    )
