"""A generated session goes through the real ingest app untouched and the projector makes of it
exactly the trading the generator did (stratlog/simulation).

Four runs trading at once (a few thousand events, some arriving out of order) are posted to
`POST /api/v1/events` in batches, over HTTP into the ASGI app with its lifespan; then the
runner projects the log from position 0 into a fresh projection store. Nothing may be
quarantined; the orders, fills, brackets and trades must be the ones a bracket strategy
leaves: every order final, fills summing to what filled, one exit per bracket, every run flat.
"""

from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from projector.log_feed import LogFeed
from projector.runner import Runner
from projector.store import ProjectionStore
from schema.storage import make_engine
from schema.tables.projections import PROJECTION_METADATA
from stratlog.simulation import generate_sessions
from tests.conftest import StoreLocation
from tests.integration.ingest_harness import running_ingest

SEED, RUNS, EVENTS_PER_RUN, BATCH = 11, 4, 900, 250


@dataclass
class Projected:
    sent: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def session() -> list[dict[str, Any]]:
    return list(generate_sessions(SEED, runs=RUNS, events_per_run=EVENTS_PER_RUN))


@pytest.fixture
async def projected(
    session: list[dict[str, Any]], sqlite_location: StoreLocation, tmp_path: Path
) -> AsyncIterator[Projected]:
    async with running_ingest(sqlite_location) as ingest:
        for start in range(0, len(session), BATCH):
            response = await ingest.post("/api/v1/events", session[start : start + BATCH])
            report = response.json()
            assert response.status_code == 200, report
            refused = [item for item in report["items"] if item["status"] != "accepted"]
            assert refused == [], refused[:3]
        assert await ingest.quarantined() == []
    store = await ProjectionStore.open(f"sqlite+aiosqlite:///{tmp_path / 'projections.sqlite3'}")
    engine = make_engine(sqlite_location.url, role="reader")
    try:
        runner = Runner(LogFeed(engine), store, batch_size=500)
        for partition in await runner.discover():
            report = await runner.catch_up(partition)
            assert not report.halted, report
        tables = {}
        async with store.reader.connect() as conn:
            for name in (
                "orders",
                "executions",
                "order_oco_links",
                "order_oco_groups",
                "trades",
                "open_positions",
                "strategy_runs",
                "trade_flags",
            ):
                table = PROJECTION_METADATA.tables[name]
                tables[name] = [dict(r._mapping) for r in (await conn.execute(select(table)))]
        yield Projected(session, tables)
    finally:
        await engine.dispose()
        await store.close()


def test_the_session_has_every_kind_of_event_and_some_arrive_out_of_order(
    session: list[dict[str, Any]],
) -> None:
    kinds = Counter(event["type"] for event in session)
    assert set(kinds) == {
        "strategy.registered",
        "instance.registered",
        "instrument.defined",
        "run.started",
        "run.heartbeat",
        "bar.closed",
        "order.submitted",
        "order.updated",
        "execution.recorded",
        "oco.group_created",
        "oco.order_linked",
        "run.ended",
    }
    assert kinds["run.started"] == kinds["run.ended"] == RUNS
    seen_orders: set[tuple[str, str]] = set()
    fills_first = 0
    for event in session:
        key = (event.get("run_id", ""), event.get("order_id", ""))
        if event["type"] == "order.submitted":
            seen_orders.add(key)
        elif event["type"] == "execution.recorded" and key not in seen_orders:
            fills_first += 1
    assert fills_first > 0
    runs = [event["run_id"] for event in session if event["type"] == "bar.closed"]
    switches = sum(1 for a, b in pairwise(runs) if a != b)
    assert switches > len(runs) / 10  # the runs' events are interleaved, not one after another


async def test_every_order_ends_filled_or_cancelled_and_its_fills_add_up(
    projected: Projected,
) -> None:
    orders, executions = projected.tables["orders"], projected.tables["executions"]
    assert orders
    filled: defaultdict[tuple[str, str], float] = defaultdict(float)
    for execution in executions:
        filled[execution["run_id"], execution["order_id"]] += execution["quantity"]
    assert {order["status"] for order in orders} == {"FILLED", "CANCELED"}
    for order in orders:
        key = (order["run_id"], order["order_id"])
        assert not order["placeholder"], key
        assert order["filled_quantity"] == filled.get(key, 0.0), key
        if order["status"] == "FILLED":
            assert order["filled_quantity"] == order["quantity"], key
        else:
            assert order["filled_quantity"] < order["quantity"], key
    partly = [o for o in orders if o["status"] == "CANCELED" and o["filled_quantity"] > 0]
    assert partly, "no limit entry was partly filled and then cancelled"
    assert sum(order["fees"] for order in orders) > 0
    assert projected.tables["trade_flags"] == []


async def test_each_bracket_has_one_filled_exit_and_its_other_legs_cancelled(
    projected: Projected,
) -> None:
    status = {(o["run_id"], o["order_id"]): o for o in projected.tables["orders"]}
    groups: defaultdict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for link in projected.tables["order_oco_links"]:
        groups[link["run_id"], link["oco_group_id"]][link["role"]] = link["order_id"]
    assert len(groups) == len(projected.tables["order_oco_groups"])
    assert not any(group["placeholder"] for group in projected.tables["order_oco_groups"])
    exits_seen: Counter[str] = Counter()
    for (run_id, group_id), roles in groups.items():
        entry = status[run_id, roles["ENTRY"]]
        legs = {role: status[run_id, order_id] for role, order_id in roles.items()}
        exits = {role: order for role, order in legs.items() if role != "ENTRY"}
        if entry["filled_quantity"] == 0:
            assert entry["status"] == "CANCELED", (run_id, group_id)
            assert not exits, (run_id, group_id)
            continue
        filled = [role for role, order in exits.items() if order["status"] == "FILLED"]
        assert len(filled) == 1, (run_id, group_id, exits)
        cancelled = {role for role, order in exits.items() if order["status"] == "CANCELED"}
        assert cancelled == set(exits) - set(filled), (run_id, group_id)
        assert {"TP", "SL"} <= set(exits)
        exits_seen[filled[0]] += 1
    assert set(exits_seen) == {"TP", "SL", "EXIT"}  # reversals and the final flattening


async def test_trades_are_the_brackets_and_every_run_ends_flat(projected: Projected) -> None:
    tables = projected.tables
    assert tables["open_positions"] == []
    orders = {(o["run_id"], o["order_id"]): o for o in tables["orders"]}
    net: defaultdict[tuple[str, str], float] = defaultdict(float)
    for execution in tables["executions"]:
        order = orders[execution["run_id"], execution["order_id"]]
        sign = 1 if order["side"] == "BUY" else -1
        net[execution["run_id"], order["symbol"]] += sign * execution["quantity"]
    assert net
    assert all(position == 0 for position in net.values()), net
    entered = Counter(
        (o["run_id"], o["order_id"]) for o in tables["orders"] if o["filled_quantity"] > 0
    )
    entries = {
        (link["run_id"], link["order_id"])
        for link in tables["order_oco_links"]
        if link["role"] == "ENTRY" and (link["run_id"], link["order_id"]) in entered
    }
    trades = tables["trades"]
    assert len(trades) == len(entries)
    assert {trade["entry_order_id"] for trade in trades} == {order for _, order in entries}
    assert {trade["exit_reason"] for trade in trades} == {"TP", "SL", "EXIT"}
    assert {trade["outcome"] for trade in trades} >= {"WIN", "LOSS"}
    assert all(trade["commission"] > 0 and trade["mfe"] is not None for trade in trades)
    assert {run["run_id"] for run in tables["strategy_runs"]} == {
        event["run_id"] for event in projected.sent if event["type"] == "run.started"
    }
