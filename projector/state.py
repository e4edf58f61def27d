"""The rows projections see while a batch is applied: loaded rows plus the batch's writes.

`ProjectionState` is what a pure projection receives (read-only lookups). `BatchState` is the
runner's implementation: rows loaded from the store before the batch, overlaid with every
write applied so far, and the set of rows to flush at commit with how to write each.
"""

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from operator import itemgetter
from typing import Any, Protocol

from projector.writes import Append, Put, PutIfAbsent, Row, Write
from schema.tables.projections import PROJECTION_METADATA

Key = tuple[Any, ...]
PRIMARY_KEYS: Mapping[str, tuple[str, ...]] = {
    name: tuple(column.name for column in table.primary_key.columns)
    for name, table in PROJECTION_METADATA.tables.items()
}


def _key_getter(columns: tuple[str, ...]) -> Callable[[Row], Key]:
    if len(columns) > 1:
        return itemgetter(*columns)  # a tuple already
    (column,) = columns
    return lambda row: (row[column],)


_KEY_GETTERS = {table: _key_getter(columns) for table, columns in PRIMARY_KEYS.items()}


def key_of(table: str, row: Row) -> Key:
    return _KEY_GETTERS[table](row)


class ProjectionState(Protocol):
    def get(self, table: str, key: Key) -> Row | None:
        """The current row with this primary key, or None."""
        ...


class FlushMode(Enum):
    UPSERT = "upsert"  # replace a stored row
    INSERT_IF_ABSENT = "insert_if_absent"  # keep a stored row (maybe another partition's)


class BatchState:
    """Loaded rows + this batch's writes; knows what to flush and how."""

    def __init__(self, loaded: Mapping[str, Mapping[Key, Row]]) -> None:
        self._rows: dict[str, dict[Key, Row]] = {t: dict(rows) for t, rows in loaded.items()}
        self._dirty: dict[str, dict[Key, FlushMode]] = {}
        self._appended: dict[str, list[Row]] = {}

    def get(self, table: str, key: Key) -> Row | None:
        return self._rows.get(table, {}).get(key)

    def apply(self, writes: Iterable[Write]) -> None:
        for write in writes:
            kind, table = type(write), write.table
            if kind is Append:
                self._appended.setdefault(table, []).append(write.row)
                continue
            key = _KEY_GETTERS[table](write.row)
            rows = self._rows.setdefault(table, {})
            if kind is Put:
                rows[key] = write.row
                self._dirty.setdefault(table, {})[key] = FlushMode.UPSERT
            elif kind is PutIfAbsent and key not in rows:
                rows[key] = write.row
                self._dirty.setdefault(table, {})[key] = FlushMode.INSERT_IF_ABSENT

    def changes(self) -> dict[str, tuple[list[Row], list[Row], list[Row]]]:
        """Per table: (rows to upsert, rows to insert if absent, rows to append)."""
        tables = set(self._dirty) | set(self._appended)
        out: dict[str, tuple[list[Row], list[Row], list[Row]]] = {}
        for table in sorted(tables):
            dirty = self._dirty.get(table, {})
            rows = self._rows[table] if dirty else {}
            upserts = [rows[k] for k, mode in dirty.items() if mode is FlushMode.UPSERT]
            inserts = [rows[k] for k, mode in dirty.items() if mode is FlushMode.INSERT_IF_ABSENT]
            out[table] = (upserts, inserts, self._appended.get(table, []))
        return out
