"""Reading the older exporter's `.sqlite` export file into events, in bounded batches.

The file has `Metadata(key, value)`, `Bars`, `Orders` and `Executions` tables (column lists
in docs/operations.md). It is opened read-only and immutable (never modified, no journal
files created beside it). Rows are read with `fetchmany`, so memory does not grow with the
file; the run's own events are derived first (`export_run`), from Metadata and a few
aggregate queries SQLite answers without loading rows.

A row becomes what the exporter would have sent for it, through the compat mapping: column
names that are not the wire names are renamed (`submit_time_utc` -> `submit_utc`, `meta_json`
-> `extra_json`; compat itself renames `liquidity_flag`), integer ids become text, unknown
columns go to `extra_json`. An order row is an `order.submitted` (status NEW), followed by an
`order.updated` carrying its status and reasons unless that status is NEW or UNKNOWN. A row
is appended whole or quarantined whole, with the row as read as its raw text and its 0-based
ordinal in the table (`SELECT *` order) as its item index.
"""

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ingest_api.body import RawItem, json_text
from ingest_api.compat import ItemKind
from ingest_api.imports.errors import UnreadableFile, UnsupportedFile
from ingest_api.imports.export_run import ExportFacts, export_run_id, run_closing, run_opening
from ingest_api.imports.model import ProgressUnit
from ingest_api.imports.rows import Batch, SourceItem, item_of, json_safe, source_of
from ingest_api.items import Decoded, compat_item
from schema.enums import OrderStatus, normalize_enum_text
from schema.events.base import UtcDatetime

SQLITE_HEADER = b"SQLite format 3\x00"
METADATA = "Metadata"
DATA_TABLES = ("Bars", "Orders", "Executions")  # appended in this order, after the run start
MAX_INSTANCE_SYMBOLS = 50

_KINDS = {"Bars": ItemKind.BAR, "Orders": ItemKind.ORDER, "Executions": ItemKind.EXECUTION}
_EVENT_TYPES = {
    "Bars": "bar.closed",
    "Orders": "order.submitted",
    "Executions": "execution.recorded",
}
_WIRE_NAMES = {
    "start_time_utc": "ts_utc",
    "end_time_utc": "end_utc",
    "submit_time_utc": "submit_utc",
    "exec_time_utc": "exec_utc",
    "meta_json": "extra_json",
}
_STATUS_FIELDS = ("status", "reject_reason", "cancel_reason")
_NO_UPDATE = frozenset({None, "", OrderStatus.NEW, OrderStatus.UNKNOWN})
# Where the run's start and end are looked for: (table, column).
_STARTS = (
    ("Bars", "start_time_utc"),
    ("Orders", "submit_time_utc"),
    ("Executions", "exec_time_utc"),
)
_ENDS = (("Bars", "end_time_utc"), *_STARTS)
_utc = TypeAdapter(UtcDatetime)


def export_tables(conn: sqlite3.Connection) -> dict[str, str]:
    """The export tables the file has, by their names here (`Orders`) -> names in the file."""
    wanted = {name.lower(): name for name in (METADATA, *DATA_TABLES)}
    found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {wanted[name.lower()]: name for (name,) in found if name.lower() in wanted}


def open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


class SqliteExport:
    """An export file opened for import: its run, then its rows in batches."""

    unit = ProgressUnit.ROWS

    def __init__(self, path: Path, sha256: str, *, batch_rows: int) -> None:
        self._conn = open_readonly(path)
        self._batch_rows = batch_rows
        self._sha256 = sha256
        try:
            self._tables = export_tables(self._conn)
            if not self._tables:
                raise UnsupportedFile("a SQLite file without the exporter's tables")
            self._facts = _facts(_Probe(self._conn, self._tables))
            self._counts = {t: self._count(t) for t in DATA_TABLES if t in self._tables}
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise UnreadableFile(f"cannot read the export: {exc}") from exc
        except UnsupportedFile:
            self._conn.close()
            raise
        self.run_id = export_run_id(self._facts.metadata, sha256)
        self._opening = run_opening(self._facts, self.run_id, source_of(sha256, METADATA))
        self.total: int | None = len(self._opening) + sum(self._counts.values()) + 1

    def batches(self) -> Iterator[Batch]:
        done = len(self._opening)
        yield Batch(self._opening, done)
        for table in self._counts:
            for items in self._rows(table):
                done += len(items)
                yield Batch(items, done)
        source = source_of(self._sha256, METADATA)
        closing = run_closing(self._facts, self.run_id, source, len(self._opening))
        yield Batch([closing], done + 1)

    def close(self) -> None:
        self._conn.close()

    def _rows(self, table: str) -> Iterator[list[SourceItem]]:
        source = source_of(self._sha256, table)
        index = 0
        try:
            cursor = self._conn.execute(f"SELECT * FROM {_quoted(self._tables[table])}")
            names = [column[0] for column in cursor.description]
            while rows := cursor.fetchmany(self._batch_rows):
                yield [
                    _row_item(
                        table, dict(zip(names, row, strict=True)), index + n, source, self.run_id
                    )
                    for n, row in enumerate(rows)
                ]
                index += len(rows)
        except sqlite3.DatabaseError as exc:
            raise UnreadableFile(f"{table} cannot be read past row {index}: {exc}") from exc

    def _count(self, table: str) -> int:
        query = f"SELECT COUNT(*) FROM {_quoted(self._tables[table])}"
        return int(self._conn.execute(query).fetchone()[0])


def _row_item(
    table: str, row: Mapping[str, Any], index: int, source: str, run_id: str
) -> SourceItem:
    as_read = json_safe(row)
    raw = RawItem(json_text(as_read), as_read)
    fields = _wire_fields(as_read)
    fixed = {"run_id": run_id}
    decoded: list[Decoded]
    if table == "Orders":
        decoded = [
            compat_item(RawItem(raw.raw, event), index, source, ItemKind.ORDER, fixed=fixed)
            for event in _order_events(fields)
        ]
    else:
        decoded = [compat_item(RawItem(raw.raw, fields), index, source, _KINDS[table], fixed=fixed)]
    context = {"run_id": run_id, "type": _EVENT_TYPES[table]}
    return item_of(table, raw, index, source, decoded, context)


def _wire_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with the exporters' field names (unless a column has that name too) and ids
    as text."""
    fields: dict[str, Any] = {}
    for name, value in row.items():
        wire = _WIRE_NAMES.get(name, name)
        if wire in row and wire != name:
            wire = name
        if name.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        fields[wire] = value
    return fields


def _order_events(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The order as placed, then (unless NEW or UNKNOWN) the status it reached."""
    placed = {name: value for name, value in order.items() if name not in _STATUS_FIELDS}
    events = [placed]
    if normalize_enum_text(order.get("status")) not in _NO_UPDATE:
        events.append({name: order.get(name) for name in ("order_id", *_STATUS_FIELDS)})
    return events


class _Probe:
    """Questions about the export that SQLite answers without handing over its rows."""

    def __init__(self, conn: sqlite3.Connection, tables: Mapping[str, str]) -> None:
        self._conn = conn
        self._tables = tables
        self._columns = {
            table: {row[1] for row in conn.execute(f"PRAGMA table_info({_quoted(name)})")}
            for table, name in tables.items()
        }

    def has(self, table: str, column: str) -> bool:
        return column in self._columns.get(table, ())

    def metadata(self) -> dict[str, Any]:
        if not (self.has(METADATA, "key") and self.has(METADATA, "value")):
            return {}
        rows = self._conn.execute(f"SELECT key, value FROM {_quoted(self._tables[METADATA])}")
        return {
            key.strip(): value for key, value in rows if isinstance(key, str) and value is not None
        }

    def distinct(
        self,
        tables: Sequence[str],
        column: str,
        limit: int,
        *,
        where: tuple[str, Any] | None = None,
    ) -> list[str]:
        """Up to `limit` distinct non-null values of `column` over `tables`, as text."""
        found: set[str] = set()
        for table in tables:
            if not self.has(table, column) or (where is not None and not self.has(table, where[0])):
                continue
            query = f"SELECT DISTINCT {_quoted(column)} FROM {_quoted(self._tables[table])}"
            query += f" WHERE {_quoted(column)} IS NOT NULL"
            parameters: tuple[Any, ...] = ()
            if where is not None:
                query += f" AND {_quoted(where[0])} = ?"
                parameters = (where[1],)
            rows = self._conn.execute(f"{query} LIMIT ?", (*parameters, limit)).fetchall()
            found.update(str(value) for (value,) in rows)
        return sorted(found)[:limit]

    def time_range(self, table: str, column: str) -> list[datetime]:
        """The earliest and latest times of a column, each found in one scan: text ordered
        by `julianday()` (which reads offsets and `Z`), numbers as Unix seconds (or
        milliseconds, as pydantic reads them); values that do not parse are left out."""
        if not self.has(table, column):
            return []
        c, t = _quoted(column), _quoted(self._tables[table])
        day = (
            f"CASE WHEN typeof({c}) = 'text' THEN julianday({c})"
            f" WHEN typeof({c}) IN ('integer', 'real') THEN julianday("
            f"CASE WHEN abs({c}) > 2e10 THEN {c} / 1000.0 ELSE {c} END, 'unixepoch') END"
        )
        times = []
        for extreme in ("MIN", "MAX"):  # SQLite returns the bare column of the min/max row
            query = f"SELECT {extreme}({day}), {c} FROM {t} WHERE {day} IS NOT NULL"
            _, value = self._conn.execute(query).fetchone()
            try:
                times.append(_utc.validate_python(value))
            except ValidationError:
                continue  # not a time pydantic reads: that row is rejected when it is read
        return times


def _facts(probe: _Probe) -> ExportFacts:
    strategies = probe.distinct(["Orders"], "strategy_id", 1) or probe.distinct(
        ["Executions"], "strategy_id", 1
    )
    strategy = strategies[0] if strategies else None
    versions = (
        probe.distinct(["Orders"], "strategy_version", 1, where=("strategy_id", strategy))
        if strategy is not None
        else []
    )
    symbols = probe.distinct(DATA_TABLES, "symbol", MAX_INSTANCE_SYMBOLS + 1)
    accounts = probe.distinct(["Orders", "Executions"], "account_id", 2)
    timeframes = probe.distinct(["Bars"], "timeframe", 2)
    starts = [t for table, column in _STARTS for t in probe.time_range(table, column)]
    ends = [t for table, column in _ENDS for t in probe.time_range(table, column)]
    return ExportFacts(
        metadata=probe.metadata(),
        earliest=min(starts, default=None),
        latest=max(ends, default=None),
        strategy_id=strategy,
        strategy_version=versions[0] if versions else None,
        symbols=symbols if len(symbols) <= MAX_INSTANCE_SYMBOLS else [],
        account_id=accounts[0] if len(accounts) == 1 else None,
        timeframe=timeframes[0] if len(timeframes) == 1 else None,
    )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
