"""Reading one run from the log store: its events in log order, a page at a time.

The source opens the log with a reader engine (replay never writes the log), refuses a store
that is not there rather than creating an empty one, and refuses a run the log does not hold.
Events are read by position in pages of `page_size` (`replay.stores.log_rows`), so memory
stays bounded whatever the run's size. The run's catalog context (`replay.context`) is
merged in by position, so the target sees every event in the order this log holds them.
"""

from collections.abc import AsyncIterator

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from replay.context import catalog_context
from replay.errors import StoreNotFound, UnknownRun
from replay.records import LoggedEvent
from replay.stores import log_rows, open_log_reader, store_for_display
from schema.settings import StoreSettings
from schema.tables import ingest_events

DEFAULT_PAGE_SIZE = 1000


class RunSource:
    """One run's events (and its catalog context) from a log store."""

    def __init__(
        self,
        engine: AsyncEngine,
        run_id: str,
        context: list[LoggedEvent],
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.engine, self.run_id = engine, run_id
        self._context, self._page_size = context, page_size

    @classmethod
    async def open(
        cls, settings: StoreSettings, run_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> "RunSource":
        """The run's source; `UnknownRun` if the log holds none of its events."""
        url = settings.resolved_log_url()
        engine = open_log_reader(settings)
        try:
            found = select(ingest_events.c.position).where(ingest_events.c.run_id == run_id)
            async with engine.connect() as conn:
                first = (await conn.execute(found.limit(1))).scalar()
            if first is None:
                raise UnknownRun(f"the log at {store_for_display(url)} holds no run {run_id!r}")
            context = await catalog_context(engine, run_id)
        except DBAPIError as exc:
            await engine.dispose()
            raise StoreNotFound(
                f"cannot read the log at {store_for_display(url)}: {exc.orig}"
            ) from exc
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, run_id, context, page_size)

    async def close(self) -> None:
        await self.engine.dispose()

    async def count_after(self, after: int) -> int:
        """How many events `events(after)` yields (for progress)."""
        c = ingest_events.c
        query = select(func.count()).where(c.run_id == self.run_id, c.position > after)
        async with self.engine.connect() as conn:
            own = int((await conn.execute(query)).scalar_one())
        return own + sum(event.position > after for event in self._context)

    async def events(self, after: int = 0) -> AsyncIterator[LoggedEvent]:
        """The run's events and its context after log position `after`, in log order."""
        context = [event for event in self._context if event.position > after]
        waiting = 0  # context events before this index have been yielded
        async for event in self._own_events(after):
            while waiting < len(context) and context[waiting].position < event.position:
                yield context[waiting]
                waiting += 1
            yield event
        for event in context[waiting:]:
            yield event

    async def _own_events(self, after: int) -> AsyncIterator[LoggedEvent]:
        own = ingest_events.c.run_id == self.run_id
        async for row in log_rows(self.engine, own, after=after, page_size=self._page_size):
            yield LoggedEvent.from_row(*row)
