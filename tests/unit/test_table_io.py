"""Projection rows at driver speed (projector/table_io.py) hold exactly what SQLAlchemy's own
column types would have bound and read back, and statements are spelled for each dialect."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import JSON

from projector.table_io import (
    TableSql,
    sqlite_utc_datetime,
    sqlite_utc_text,
)
from schema.tables.projections import PROJECTION_METADATA, bars
from schema.tables.types import UtcDateTime

SQLITE = sqlite.dialect()
POSTGRESQL: Dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
MOMENTS = [
    datetime(2025, 3, 3, 14, 30, tzinfo=UTC),
    datetime(2025, 3, 3, 14, 30, 5, 123456, tzinfo=UTC),
    datetime(2025, 3, 3, 9, 30, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1970, 1, 1, tzinfo=UTC),
]


def _sqlalchemy_bind(value: datetime) -> object:
    """What SQLAlchemy binds for a UtcDateTime column on SQLite."""
    process = UtcDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    return cast(Callable[[object], object], process)(value)


def _sqlalchemy_result(text: str) -> object:
    """What SQLAlchemy reads back from a UtcDateTime column on SQLite."""
    process = UtcDateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
    assert process is not None
    return cast(Callable[[object], object], process)(text)


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_utc_time_is_stored_on_sqlite_as_sqlalchemy_stores_it(moment: datetime) -> None:
    assert sqlite_utc_text(moment) == _sqlalchemy_bind(moment)


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_stored_utc_time_reads_back_as_sqlalchemy_reads_it(moment: datetime) -> None:
    text = sqlite_utc_text(moment)
    read = sqlite_utc_datetime(text)

    assert read == _sqlalchemy_result(text) == moment
    assert read.tzinfo is UTC


def test_a_naive_time_is_refused_for_a_utc_column() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(datetime(2025, 3, 3, 14, 30))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_every_projection_table_has_its_statements_on_both_backends(dialect: str) -> None:
    quote = (SQLITE if dialect == "sqlite" else POSTGRESQL).identifier_preparer.quote
    for table in PROJECTION_METADATA.tables.values():
        sql = TableSql(table, dialect, quote)
        assert sql.upsert.startswith(f"INSERT INTO {quote(table.name)} (")
        assert "ON CONFLICT" in sql.upsert


def test_a_column_type_without_a_known_conversion_is_refused() -> None:
    table = Table("odd", MetaData(), Column("id", Integer, primary_key=True), Column("doc", JSON))

    with pytest.raises(TypeError, match=r"odd\.doc"):
        TableSql(table, "sqlite", SQLITE.identifier_preparer.quote)


def test_rows_become_driver_values_and_back_with_times_as_text_on_sqlite() -> None:
    sql = TableSql(bars, "sqlite", SQLITE.identifier_preparer.quote)
    row = {
        "series_id": "s",
        "ts_utc": MOMENTS[1],
        "end_utc": None,
        "open": 1.0,
        "high": 2.0,
        "low": 0.5,
        "close": 1.5,
        "volume": None,
        "open_interest": None,
        "volumetric_json": None,
        "last_position": 7,
    }

    (values,) = sql.params([row])

    assert values[1] == "2025-03-03 14:30:05.123456"
    assert sql.rows([values]) == [row]


def test_keys_are_asked_for_by_prefix_so_that_the_primary_key_index_answers() -> None:
    sql = TableSql(bars, "sqlite", SQLITE.identifier_preparer.quote)
    keys = [("a", MOMENTS[0]), ("a", MOMENTS[1]), ("b", MOMENTS[0])]

    ((query, params),) = sql.key_queries(keys)

    assert query.endswith(
        "WHERE (series_id = ? AND ts_utc IN (?, ?)) OR (series_id = ? AND ts_utc IN (?))"
    )
    assert params == ("a", *map(sqlite_utc_text, MOMENTS[:2]), "b", sqlite_utc_text(MOMENTS[0]))


def test_postgresql_placeholders_are_numbered() -> None:
    sql = TableSql(bars, "postgresql", POSTGRESQL.identifier_preparer.quote)

    ((query, params),) = sql.key_queries([("a", MOMENTS[0])])

    assert query.endswith("WHERE (series_id = $1 AND ts_utc IN ($2))")
    assert params == ("a", MOMENTS[0])
