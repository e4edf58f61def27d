"""Folding events through the pure projections exactly as the runner does, with no I/O.

`ProjectionFold` keeps the projection tables in a dict and applies events batch by batch: it
loads only the rows a batch's `reads` name into a `BatchState` (so a projection that looks at a
row it did not declare sees nothing, as it would in the runner), applies the projections in log
order, then flushes the batch's changes with the store's rules (upsert replaces, insert-if-absent
and append keep a row already there). An event a projection refuses halts its partition, as in
the runner: it and every later event of that partition are left out, and `halted` says where.
Unit and property tests use it to check projections without a database.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from projector.projections import partition_of, project, reads_of
from projector.state import BatchState, Key, key_of
from projector.writes import Row
from schema.codec import decode_event
from schema.events import Event

Tables = dict[str, dict[Key, Row]]
EventInput = Event | Mapping[str, Any]


def as_event(item: EventInput) -> Event:
    """An event model from a model or its wire dict."""
    return item if isinstance(item, Event) else decode_event(item)


class ProjectionFold:
    """Projection tables in memory, advanced one batch of (position, event) at a time."""

    def __init__(self, tables: Mapping[str, Mapping[Key, Row]] | None = None) -> None:
        self.tables: Tables = {name: dict(rows) for name, rows in (tables or {}).items()}
        self.halted: dict[str, tuple[int, str]] = {}  # partition -> (position, error)
        self.position = 0

    def apply_batch(self, batch: Sequence[tuple[int, EventInput]]) -> None:
        """Apply (log position, event) pairs as one runner batch."""
        if not batch:
            return
        events = [(position, as_event(item)) for position, item in batch]
        wanted: dict[str, set[Key]] = {}
        for read in reads_of(event for _, event in events):
            wanted.setdefault(read.table, set()).add(read.key)
        loaded = {
            table: {k: dict(self.tables[table][k]) for k in keys if k in self.tables.get(table, {})}
            for table, keys in wanted.items()
        }
        state = BatchState(loaded)
        for position, event in events:
            partition = partition_of(event)
            if partition in self.halted:
                continue
            try:
                writes = project(event, position, state)
            except Exception as exc:  # as the runner does: halt the partition, record why
                self.halted[partition] = (position, f"{type(exc).__name__}: {exc}")
                continue
            state.apply(writes)
        for table, (upserts, inserts, appends) in state.changes().items():
            rows = self.tables.setdefault(table, {})
            for row in upserts:
                rows[key_of(table, row)] = dict(row)
            for row in [*inserts, *appends]:
                rows.setdefault(key_of(table, row), dict(row))
        self.position = max(self.position, events[-1][0])

    def apply(
        self, items: Sequence[EventInput], batch_sizes: Iterable[int] = ()
    ) -> "ProjectionFold":
        """Apply `items` at the next log positions, in batches of the given sizes (the rest
        as one batch)."""
        positioned = [(self.position + i + 1, item) for i, item in enumerate(items)]
        start = 0
        for size in batch_sizes:
            self.apply_batch(positioned[start : start + size])
            start += size
        self.apply_batch(positioned[start:])
        return self

    def row(self, table: str, *key: Any) -> Row:
        """The row with this primary key (KeyError if there is none)."""
        return self.tables[table][tuple(key)]

    def rows(self, table: str) -> list[Row]:
        """Every row of a table, in primary-key order."""
        return [self.tables[table][k] for k in sorted(self.tables.get(table, {}), key=repr)]


def fold(items: Sequence[EventInput], batch_sizes: Iterable[int] = ()) -> ProjectionFold:
    """The tables after applying `items` from position 1, in batches of `batch_sizes`."""
    return ProjectionFold().apply(items, batch_sizes)
