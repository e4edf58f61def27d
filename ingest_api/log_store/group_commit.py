"""Group commit: concurrent append calls share one transaction, written by one task.

Each call queues its request and waits on a future. A single writer task takes everything
queued (up to `max_batch_events`) and commits it in one transaction, so under load the cost
of a durable commit (an fsync with synchronous=FULL) is shared by many requests, and single
events from many clients cost about what one batch does. When more than
`max_pending_events` wait, new calls are refused with Overloaded instead of queueing without
bound (the API answers 503 + Retry-After).
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ingest_api.log_store.errors import LogStoreError, Overloaded
from ingest_api.log_store.model import AppendReceipt, NewEvent, Rejection


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """One caller's events and rejections, committed together or not at all."""

    events: Sequence[NewEvent]
    rejections: Sequence[Rejection]

    @property
    def size(self) -> int:
        return len(self.events) + len(self.rejections)


# Writes a group: one receipt per request, or the error that kept that request out.
WriteBatch = Callable[[Sequence[AppendRequest]], Awaitable[list[AppendReceipt | LogStoreError]]]


class GroupCommitter:
    """Funnels append requests into as few transactions as the load allows."""

    def __init__(
        self, write: WriteBatch, *, max_pending_events: int, max_batch_events: int
    ) -> None:
        self._write = write
        self._max_pending = max_pending_events
        self._max_batch = max_batch_events
        self._queue: deque[tuple[AppendRequest, asyncio.Future[AppendReceipt]]] = deque()
        self._pending = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set whenever nothing is queued or being written
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pending_events(self) -> int:
        return self._pending

    async def submit(self, request: AppendRequest) -> AppendReceipt:
        """Queue a request and wait until it is committed (or failed)."""
        if self._closed:
            raise RuntimeError("the event log is closed")
        if self._pending and self._pending + request.size > self._max_pending:
            raise Overloaded(self._pending, self._max_pending)
        future: asyncio.Future[AppendReceipt] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        self._pending += request.size
        self._idle.clear()
        self._wake.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._run(), name="log-group-commit")
        # Shield: a caller that goes away must not cancel a commit other callers share.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        self._closed = True
        if self._writer is not None:
            await self._idle.wait()
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self._commit_next_group()

    async def _commit_next_group(self) -> None:
        group = [self._queue.popleft()]
        size = group[0][0].size
        while self._queue and size + self._queue[0][0].size <= self._max_batch:
            group.append(self._queue.popleft())
            size += group[-1][0].size
        try:
            receipts = await self._write([request for request, _ in group])
        except Exception as exc:  # handed to every caller of the group, who re-raises it
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), outcome in zip(group, receipts, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, LogStoreError):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        finally:
            self._pending -= size
            if not self._pending:
                self._idle.set()
