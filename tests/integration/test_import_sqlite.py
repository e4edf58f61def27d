"""Importing the older exporter's `.sqlite` export: the run, orders, fills and bars it holds
end up in the projections; a second import adds nothing; bad rows are quarantined and
counted while the good ones are imported. On SQLite and PostgreSQL log stores."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from ingest_api.imports.model import ImportRecord, ImportStatus, TableCounts, Via
from ingest_api.imports.source import fingerprint
from schema.ids import stable_uuid
from tests.fixtures.exporter_sqlite import ExportRows, session_export, write_export
from tests.integration.import_env import local_imports, log_head, log_location, quarantined
from tests.integration.projection_env import ProjectionEnv, projection_env

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProjectionEnv]:
    async with projection_env(request.param, tmp_path) as running:
        yield running


async def import_file(env: ProjectionEnv, path: Path) -> ImportRecord:
    async with local_imports(env) as imports:
        return await imports.import_file(path, via=Via.CLI)


def counts(record: ImportRecord) -> dict[str, tuple[int, int, int, int]]:
    return {
        table: (figures.items, figures.new, figures.duplicate, figures.rejected)
        for table, figures in record.counts.items()
    }


def with_bad_rows() -> ExportRows:
    """The session plus one bad row per kind of fault, each at a known place."""
    rows = session_export()
    rows.bars.insert(3, {**rows.bars[3], "high": "n/a"})  # Bars #3
    rows.orders.append({**rows.orders[0], "order_id": "1008", "side": "SIDEWAYS"})  # #7
    # #8: a valid order whose final status is not one: refused whole, never half-imported
    rows.orders.append({**rows.orders[0], "order_id": "1009", "status": "EXPLODED"})
    rows.executions.append({**rows.executions[0], "execution_id": "T-6", "exec_time_utc": None})
    rows.executions.append({**rows.executions[0], "execution_id": "T-7", "quantity": "lots"})
    return rows


async def test_an_export_becomes_its_run_with_orders_fills_and_bars(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    path = write_export(tmp_path / "session.sqlite", session_export())

    record = await import_file(env, path)
    await env.catch_up_all()

    assert record.status is ImportStatus.COMPLETED, record.error
    assert counts(record) == {
        "Metadata": (4, 4, 0, 0),
        "Bars": (12, 12, 0, 0),
        "Orders": (7, 7, 0, 0),
        "Executions": (5, 5, 0, 0),
    }
    [run] = await env.rows("strategy_runs")
    assert run["run_id"] == record.run_id == stable_uuid("import", "sqlite", fingerprint(path)[0])
    assert (run["run_type"], run["status"], run["placeholder"]) == ("BACKTEST", "COMPLETED", False)
    assert run["start_utc"] == datetime(2025, 3, 3, 14, 30, tzinfo=UTC)  # the first bar
    assert run["end_utc"] == datetime(2025, 3, 3, 14, 42, tzinfo=UTC)  # the last bar's end
    assert (run["initial_balance"], run["base_currency"]) == (100000.0, "USD")
    assert orjson.loads(run["parameters_json"]) == {"FastPeriod": 10, "SlowPeriod": 30}
    [strategy] = await env.rows("strategies")
    assert (strategy["strategy_id"], strategy["strategy_version"]) == ("StackedImbalance", "1.4.0")
    assert not strategy["placeholder"]
    [instance] = await env.rows("strategy_instances")
    assert instance["instance_id"] == run["instance_id"]
    assert (instance["symbol"], instance["account_id"], instance["timeframe"]) == (
        "ESM5",
        "SIM-101",
        "1m",
    )
    assert not instance["placeholder"]
    orders = {row["order_id"]: row for row in await env.rows("orders")}
    assert {order_id: row["status"] for order_id, row in orders.items()} == {
        "1001": "FILLED",
        "1002": "FILLED",
        "1003": "FILLED",
        "1004": "FILLED",
        "1005": "CANCELED",
        "1006": "REJECTED",
        "1007": "WORKING",
    }
    assert orders["1005"]["cancel_reason"] == "OCO sibling filled"
    assert orders["1006"]["reject_reason"] == "Insufficient margin"
    assert orders["1004"]["parent_order_id"] == "1003"
    # meta_json is the order's extra_json; columns no order field takes are kept there too
    assert orjson.loads(orders["1004"]["extra_json"]) == {
        "oco": "B-1",
        "role": "TP",
        "strategy_version": "1.4.0",
    }
    assert (orders["1001"]["filled_quantity"], orders["1001"]["fill_count"]) == (2.0, 2)
    assert orders["1001"]["submit_utc"] == datetime(2025, 3, 3, 14, 30, 5, tzinfo=UTC)
    fills = {row["execution_id"]: row for row in await env.rows("executions")}
    assert sorted(fills) == ["T-1", "T-2", "T-3", "T-4", "T-5"]
    first = fills["T-1"]
    assert first["exec_utc"] == datetime(2025, 3, 3, 14, 30, 5, 123456, tzinfo=UTC)
    assert (first["price"], first["quantity"], first["fee"]) == (5701.75, 1.0, 1.25)
    assert (first["liquidity"], first["side"], first["symbol"]) == ("TAKER", "BUY", "ESM5")
    assert fills["T-3"]["exec_utc"] == datetime(2025, 3, 3, 14, 32, 42, tzinfo=UTC)
    [series] = await env.rows("run_series")
    assert (series["bar_count"], series["timeframe"], series["symbol"]) == (12, "1m", "ESM5")
    assert len(await env.rows("bars")) == 12


async def test_importing_the_same_file_again_appends_and_quarantines_nothing(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    path = write_export(tmp_path / "session.sqlite", with_bad_rows())
    location = await log_location(env)
    first = await import_file(env, path)
    head, kept = await log_head(location), await quarantined(location)

    again = await import_file(env, path)

    assert again.status is ImportStatus.COMPLETED
    assert await log_head(location) == head
    assert await quarantined(location) == kept
    assert again.run_id == first.run_id
    assert again.quarantined_by == first.import_id
    assert counts(again) == {
        "Metadata": (4, 0, 4, 0),
        "Bars": (13, 0, 12, 1),
        "Orders": (9, 0, 7, 2),
        "Executions": (7, 0, 5, 2),
    }


async def test_bad_rows_are_quarantined_and_counted_and_the_good_rows_imported(
    env: ProjectionEnv, tmp_path: Path
) -> None:
    path = write_export(tmp_path / "bad.sqlite", with_bad_rows())
    sha256, _ = fingerprint(path)

    record = await import_file(env, path)
    await env.catch_up_all()

    assert record.status is ImportStatus.COMPLETED
    assert record.quarantined_by is None
    assert counts(record) == {
        "Metadata": (4, 4, 0, 0),
        "Bars": (13, 12, 0, 1),
        "Orders": (9, 7, 0, 2),
        "Executions": (7, 5, 0, 2),
    }
    kept = await quarantined(await log_location(env))
    where = [(row["source"], row["item_index"]) for row in kept]
    prefix = f"import:{sha256[:16]}"
    assert where == [
        (f"{prefix}:Bars", 3),
        (f"{prefix}:Orders", 7),
        (f"{prefix}:Orders", 8),
        (f"{prefix}:Executions", 5),
        (f"{prefix}:Executions", 6),
    ]
    assert orjson.loads(kept[0]["raw"])["high"] == "n/a"  # the row as read from the file
    assert orjson.loads(kept[1]["raw"])["order_id"] == "1008"
    assert {row["run_id"] for row in kept} == {record.run_id}
    fields = [[error["field"] for error in row["errors"]] for row in kept]
    assert fields == [["high"], ["side"], ["status"], ["exec_utc"], ["quantity"]]
    orders = {row["order_id"] for row in await env.rows("orders")}
    assert orders == {"1001", "1002", "1003", "1004", "1005", "1006", "1007"}
    assert len(await env.rows("executions")) == 5
    assert len(await env.rows("bars")) == 12


@pytest.mark.parametrize(
    ("metadata", "run_id", "run_type"),
    [
        ({"run_id": "bt-2025-03-03", "run_type": "Paper"}, "bt-2025-03-03", "PAPER"),
        ({}, None, "BACKTEST"),
    ],
    ids=["named-in-metadata", "no-metadata"],
)
async def test_the_run_id_and_type_come_from_metadata_else_from_the_file(
    tmp_path: Path, metadata: dict[str, str], run_id: str | None, run_type: str
) -> None:
    rows = session_export()
    rows.metadata = metadata
    path = write_export(tmp_path / "session.sqlite", rows)
    async with projection_env("sqlite", tmp_path) as env:
        record = await import_file(env, path)
        await env.catch_up_all()
        [run] = await env.rows("strategy_runs")
        [strategy] = await env.rows("strategies")

    expected = run_id or stable_uuid("import", "sqlite", fingerprint(path)[0])
    assert (record.run_id, run["run_id"], run["run_type"]) == (expected, expected, run_type)
    assert strategy["strategy_id"] == "StackedImbalance"  # from the orders without metadata
    assert record.counts["Metadata"] == TableCounts(items=4, new=4)
