"""Projection rows to and from the database driver, without SQLAlchemy's per-row work.

The runner writes a batch as one executemany per table and reads the rows a batch needs in
one query per table; the analytics stage reads and replaces whole runs. Through SQLAlchemy
Core each of those compiled its statement again and passed every value through its column
type's processors, which cost more than the database did. Here each table's statements are
spelled once per dialect (`TableSql`, cached by `table_sql`) and a value is converted by one
plain function, only where the driver needs it: on SQLite a `UtcDateTime` travels as the
text SQLAlchemy itself stores ("YYYY-MM-DD HH:MM:SS.ffffff", UTC) and a boolean comes back
as 0 or 1; asyncpg takes and gives aware datetimes and booleans as they are. Statements run
through `AsyncConnection.exec_driver_sql`, so they belong to the connection's transaction
like any other. tests/unit/test_table_io.py pins the conversions to SQLAlchemy's own.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Integer, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import ClauseElement

from projector.writes import Row
from schema.tables.projections import PROJECTION_METADATA
from schema.tables.types import UtcDateTime

Key = tuple[Any, ...]
Convert = Callable[[Any], Any]
# Column types whose values need no conversion on either backend (besides NULL).
_PLAIN_TYPES = (Text, Integer, BigInteger, Float)
KEYS_PER_QUERY = 400  # well under SQLite's and asyncpg's limits on bound parameters


def sqlite_utc_text(value: datetime) -> str:
    """An aware datetime as SQLAlchemy's SQLite DateTime stores a UtcDateTime (UTC, naive):
    "YYYY-MM-DD HH:MM:SS.ffffff" (the ISO form of the UTC time without its "+00:00")."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def sqlite_utc_datetime(value: str) -> datetime:
    """What a UtcDateTime column gives back for the text `sqlite_utc_text` stored."""
    return datetime.fromisoformat(value + "+00:00")  # much cheaper than .replace(tzinfo=UTC)


def _converters(table: Table, dialect: str) -> tuple[dict[str, Convert], dict[str, Convert]]:
    """(to the driver, from the driver): a function for each column that needs one."""
    to_db: dict[str, Convert] = {}
    from_db: dict[str, Convert] = {}
    for column in table.c:
        kind = column.type
        if isinstance(kind, UtcDateTime):
            if dialect == "sqlite":
                to_db[column.name] = sqlite_utc_text
                from_db[column.name] = sqlite_utc_datetime
        elif isinstance(kind, Boolean):
            if dialect == "sqlite":
                from_db[column.name] = bool
        elif not isinstance(kind, _PLAIN_TYPES):
            raise TypeError(f"{table.name}.{column.name}: no driver conversion for {kind!r}")
    return to_db, from_db


class Placeholders:
    """Bound parameters of one statement: `add(value)` gives its placeholder text."""

    def __init__(self, dialect: str) -> None:
        self.numbered = dialect != "sqlite"  # asyncpg: $1, $2…; sqlite3: ?
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.numbered else "?"


class TableSql:
    """One table's statements on one dialect, and its rows <-> driver values."""

    def __init__(self, table: Table, dialect: str, quote: Callable[[str], str]) -> None:
        self.table = table
        self.dialect = dialect
        self.columns: tuple[str, ...] = tuple(c.name for c in table.c)
        self.keys: tuple[str, ...] = tuple(c.name for c in table.primary_key.columns)
        self._to_db, self._from_db = _converters(table, dialect)
        self._quote = quote
        self.name = self._name = quote(table.name)
        self.column_list = ", ".join(quote(name) for name in self.columns)
        marks = Placeholders(dialect)
        values = ", ".join(marks.add(None) for _ in self.columns)
        key_list = ", ".join(quote(name) for name in self.keys)
        self.insert = f"INSERT INTO {self._name} ({self.column_list}) VALUES ({values})"
        others = [quote(name) for name in self.columns if name not in self.keys]
        replace = ", ".join(f"{name} = excluded.{name}" for name in others)
        self.upsert = f"{self.insert} ON CONFLICT ({key_list}) " + (
            f"DO UPDATE SET {replace}" if others else "DO NOTHING"
        )
        self.insert_if_absent = f"{self.insert} ON CONFLICT ({key_list}) DO NOTHING"

    def quote(self, name: str) -> str:
        return self._quote(name)

    def params(self, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
        """Each row's values in column order, as the driver takes them."""
        columns, convert = self.columns, self._to_db
        if not convert:
            return [tuple([row[c] for c in columns]) for row in rows]
        out = []
        for row in rows:
            values = [row[c] for c in columns]
            for index, name in enumerate(columns):
                function = convert.get(name)
                if function is not None and values[index] is not None:
                    values[index] = function(values[index])
            out.append(tuple(values))
        return out

    def value(self, column: str, value: Any) -> Any:
        """One value of `column` as the driver takes it (for a WHERE clause)."""
        function = self._to_db.get(column)
        return value if function is None or value is None else function(value)

    def rows(self, records: Iterable[Sequence[Any]], columns: Sequence[str] = ()) -> list[Row]:
        """Rows of driver records holding `columns` (all of the table's by default)."""
        names = tuple(columns) or self.columns
        convert = [(name, f) for name, f in self._from_db.items() if name in names]
        out = []
        for record in records:
            row = dict(zip(names, record, strict=True))
            for name, function in convert:
                if row[name] is not None:
                    row[name] = function(row[name])
            out.append(row)
        return out

    def converter(self, column: str) -> Convert | None:
        """The function turning a driver value of `column` into the row's (None: as is)."""
        return self._from_db.get(column)

    def select(self, where: str = "", order_by: Sequence[str] = (), columns: str = "") -> str:
        """`SELECT <columns> FROM <table> [WHERE …] [ORDER BY …]`."""
        sql = f"SELECT {columns or self.column_list} FROM {self._name}"
        if where:
            sql += f" WHERE {where}"
        if order_by:
            sql += " ORDER BY " + ", ".join(self._quote(name) for name in order_by)
        return sql

    def keys_in(self, keys: Sequence[Key], marks: Placeholders) -> str:
        """A WHERE condition for rows whose primary key is one of `keys`, as an index can
        answer it: a composite key as `prefix = … AND last IN (…)` per prefix (SQLite 3.40
        scans the whole table for a `(a, b) IN (VALUES …)`)."""
        *prefix, last = self.keys
        quoted_last = self._quote(last)
        by_prefix: dict[Key, list[Any]] = {}
        for key in keys:
            by_prefix.setdefault(tuple(key[:-1]), []).append(key[-1])
        groups = []
        for values, lasts in by_prefix.items():
            equal = [
                f"{self._quote(name)} = {marks.add(self.value(name, value))}"
                for name, value in zip(prefix, values, strict=True)
            ]
            listed = ", ".join(marks.add(self.value(last, value)) for value in lasts)
            groups.append(" AND ".join([*equal, f"{quoted_last} IN ({listed})"]))
        return " OR ".join(f"({group})" for group in groups)

    def equal(self, column: str, value: Any, marks: Placeholders) -> str:
        """A WHERE condition `column = value`."""
        return f"{self._quote(column)} = {marks.add(self.value(column, value))}"

    def key_queries(self, keys: Sequence[Key]) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """(SQL, parameters) selecting the rows with these keys, a few hundred at a time."""
        for start in range(0, len(keys), KEYS_PER_QUERY):
            marks = Placeholders(self.dialect)
            where = self.keys_in(keys[start : start + KEYS_PER_QUERY], marks)
            yield self.select(where), tuple(marks.values)


_BY_DIALECT: dict[str, dict[str, TableSql]] = {}


def table_sql(conn: AsyncConnection, table: str) -> TableSql:
    """The statements of projection table `table` on `conn`'s dialect (built once)."""
    dialect = conn.dialect
    tables = _BY_DIALECT.get(dialect.name)
    if tables is None:
        quote = dialect.identifier_preparer.quote
        tables = _BY_DIALECT[dialect.name] = {
            name: TableSql(t, dialect.name, quote) for name, t in PROJECTION_METADATA.tables.items()
        }
    return tables[table]


class Statement:
    """A Core statement compiled once per dialect, run with one trip to the driver; its bound
    parameters are named (`bindparam`) and given by name, as the driver takes them."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _for(self, conn: AsyncConnection) -> tuple[str, tuple[str, ...]]:
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            done: Any = self.statement.compile(dialect=conn.dialect)
            names = tuple(done.positiontup or ())
            compiled = self._compiled[conn.dialect.name] = (str(done), names)
        return compiled

    async def fetch(self, conn: AsyncConnection, **values: Any) -> Sequence[Sequence[Any]]:
        sql, names = self._for(conn)
        return await fetch(conn, sql, [values[name] for name in names])

    async def execute(self, conn: AsyncConnection, **values: Any) -> int:
        """Run it; the number of rows it changed."""
        sql, names = self._for(conn)
        return await execute(conn, sql, [values[name] for name in names])


async def execute(conn: AsyncConnection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run a statement as is; the number of rows it changed."""
    sqlite = await _aiosqlite(conn)
    if sqlite is not None:
        cursor = await sqlite.execute(sql, tuple(params))
        return int(cursor.rowcount)
    return int((await conn.exec_driver_sql(sql, tuple(params))).rowcount)


async def fetch(
    conn: AsyncConnection, sql: str, params: Sequence[Any] = ()
) -> Sequence[Sequence[Any]]:
    """The records of a query run as is."""
    sqlite = await _aiosqlite(conn)
    if sqlite is not None:
        return list(await sqlite.execute_fetchall(sql, tuple(params)))
    return (await conn.exec_driver_sql(sql, tuple(params))).all()


async def _aiosqlite(conn: AsyncConnection) -> Any:
    """On SQLite, the connection's aiosqlite one: each of its calls is one trip to its
    thread, where going through SQLAlchemy's adapter makes three or four (cursor, execute,
    fetch, close), and each trip waits for the GIL when the event loop is busy. Statements
    on it belong to the transaction SQLAlchemy began (stratlog issues its own BEGIN)."""
    if conn.dialect.name != "sqlite":
        return None
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def fetch_rows(
    conn: AsyncConnection, table: TableSql, sql: str, params: Sequence[Any] = ()
) -> list[Row]:
    """The rows of a query selecting all of `table`'s columns."""
    return table.rows(await fetch(conn, sql, params))


async def rows_where(
    conn: AsyncConnection, table: str, column: str, value: Any, order_by: Sequence[str] = ()
) -> list[Row]:
    """The rows of `table` whose `column` equals `value`, in `order_by` order."""
    sql = table_sql(conn, table)
    marks = Placeholders(sql.dialect)
    query = sql.select(sql.equal(column, value, marks), order_by)
    return await fetch_rows(conn, sql, query, marks.values)


async def load_keys(conn: AsyncConnection, table: TableSql, keys: Sequence[Key]) -> list[Row]:
    """The stored rows with these primary keys (absent keys are simply missing)."""
    found: list[Row] = []
    for sql, params in table.key_queries(keys):
        found += await fetch_rows(conn, table, sql, params)
    return found


async def write_rows(conn: AsyncConnection, sql: str, table: TableSql, rows: Iterable[Row]) -> None:
    """Run `sql` (the table's insert, upsert or insert_if_absent) for every row at once."""
    params = table.params(rows)
    if not params:
        return
    sqlite = await _aiosqlite(conn)
    if sqlite is not None:
        await sqlite.executemany(sql, params)
    else:
        await conn.exec_driver_sql(sql, params)
