"""What a fingerprint compares: every projection column but those holding log positions,
every projection table but the projector's bookkeeping, and a rule per table for the rows
of one run."""

from sqlalchemy import BigInteger

from replay.fingerprint import (
    RUN_AGGREGATE_TABLES,
    Fingerprint,
    TableFingerprint,
    compared_columns,
    compared_tables,
    differences,
    rows_of_run,
)
from schema.tables import PROJECTION_METADATA


def test_the_columns_left_out_are_exactly_those_holding_log_positions() -> None:
    left_out = {
        f"{table.name}.{column.name}"
        for table in compared_tables()
        for column in table.columns
        if column not in compared_columns(table)
    }

    last_position = {
        f"{name}.last_position"
        for name in (
            "strategies",
            "strategy_instances",
            "instruments",
            "strategy_runs",
            "orders",
            "executions",
            "order_oco_groups",
            "order_oco_links",
            "run_series",
            "bars",
        )
    }
    assert left_out == last_position | {
        "strategy_runs.first_position",
        "orders.first_position",
        "order_history.position",
        "executions.position",
        "trades.exit_position",
        "run_metrics.computed_position",
        "instance_metrics.computed_position",
        "strategy_metrics.computed_position",
    }


def test_no_compared_column_of_a_position_type_escapes_the_naming_rule() -> None:
    # A new column holding a log position under another name would make two stratlogs with
    # the same events disagree; give it a `_position` name or decide it is not one here.
    for table in compared_tables():
        for column in compared_columns(table):
            assert not isinstance(column.type, BigInteger), f"{table.name}.{column.name}"


def test_only_the_bookkeeping_tables_are_left_out() -> None:
    names = {table.name for table in compared_tables()}

    assert set(PROJECTION_METADATA.tables) - names == {"checkpoints", "projection_meta"}


def test_every_compared_table_says_which_of_its_rows_belong_to_a_run() -> None:
    for table in compared_tables():
        if table.name not in RUN_AGGREGATE_TABLES:
            rows_of_run(table, "run-1")  # raises for a table no rule covers


def test_differences_name_each_table_that_disagrees() -> None:
    same, other = TableFingerprint(2, "ab" * 32), TableFingerprint(3, "cd" * 32)
    a = Fingerprint({"orders": same, "bars": same, "trades": same})
    b = Fingerprint({"orders": other, "bars": same})

    assert differences(a, b) == [
        f"orders: 2 rows {'ab' * 6} vs 3 rows {'cd' * 6}",
        f"trades: 2 rows {'ab' * 6} vs absent",
    ]
    assert differences(a, a) == []
