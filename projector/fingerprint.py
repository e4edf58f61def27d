"""Content hashes of projection tables, and the keys where two copies of a table differ.

A table's fingerprint is its row count and a SHA-256 over its rows read in primary-key order
(text keys compared bytewise on PostgreSQL, as SQLite always does), each row encoded as one
JSON array of the compared columns; the caller picks the columns (and may restrict the
rows), so that only what legitimately differs between two copies is left out. Rows are
streamed, so memory stays flat whatever the table's size. `differing_keys` walks two copies
side by side in key order and names the first few keys present in only one of them or with
other contents: what an operator needs to look at after a fingerprint mismatch.
"""

import hashlib
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Column, ColumnElement, Select, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

_ROWS_PER_FETCH = 1000
Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class TableFingerprint:
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class KeyDifference:
    key: dict[str, Any]  # primary-key column -> value
    kind: str  # "only left", "only right" or "differs"


async def table_fingerprint(
    conn: AsyncConnection,
    table: Table,
    columns: Sequence[Column[Any]],
    where: ColumnElement[bool] | None = None,
) -> TableFingerprint:
    """Row count and SHA-256 of `columns` of `table`'s rows (matching `where`) in key order."""
    digest, rows = hashlib.sha256(), 0
    async for row in _rows(conn, _ordered(conn, table, columns, where)):
        digest.update(orjson.dumps(list(row), option=orjson.OPT_UTC_Z) + b"\n")
        rows += 1
    return TableFingerprint(rows, digest.hexdigest())


async def differing_keys(
    left: AsyncConnection,
    right: AsyncConnection,
    table: Table,
    columns: Sequence[Column[Any]],
    *,
    limit: int = 5,
) -> list[KeyDifference]:
    """Up to `limit` keys whose rows differ between the two copies of `table` (both on the
    same backend, so that both are read in the same key order)."""
    key_columns = list(table.primary_key.columns)
    selected = [*key_columns, *(c for c in columns if not c.primary_key)]
    width = len(key_columns)
    a = _rows(left, _ordered(left, table, selected, None))
    b = _rows(right, _ordered(right, table, selected, None))
    x, y = await anext(a, None), await anext(b, None)
    found: list[KeyDifference] = []

    def note(row: Key, kind: str) -> None:
        names = [c.name for c in key_columns]
        found.append(KeyDifference(dict(zip(names, row[:width], strict=True)), kind))

    try:
        while (x is not None or y is not None) and len(found) < limit:
            if x is not None and (y is None or x[:width] < y[:width]):
                note(x, "only left")
                x = await anext(a, None)
            elif y is not None and (x is None or y[:width] < x[:width]):
                note(y, "only right")
                y = await anext(b, None)
            else:
                assert x is not None  # both are set here, with the same key
                assert y is not None
                if x != y:
                    note(x, "differs")
                x, y = await anext(a, None), await anext(b, None)
    finally:  # close both streams (cursors) before the connections are used again
        await a.aclose()
        await b.aclose()
    return found


def _ordered(
    conn: AsyncConnection,
    table: Table,
    columns: Sequence[Column[Any]],
    where: ColumnElement[bool] | None,
) -> Select[Any]:
    query = select(*columns)
    if where is not None:
        query = query.where(where)
    bytewise = conn.dialect.name == "postgresql"
    return query.order_by(
        *(
            column.collate("C") if bytewise and isinstance(column.type, Text) else column
            for column in table.primary_key.columns
        )
    )


async def _rows(conn: AsyncConnection, query: Select[Any]) -> AsyncGenerator[Key]:
    stream = await conn.stream(query.execution_options(yield_per=_ROWS_PER_FETCH))
    try:
        async for row in stream:
            yield tuple(row)
    finally:
        await stream.close()
