"""The runner turns a real log into projection tables, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from projector.runner import Runner
from schema.tables import ingest_events
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.projection_env import ProjectionEnv, projection_env


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProjectionEnv]:
    async with projection_env(request.param, tmp_path, batch_size=4) as environment:
        yield environment


async def test_a_bracket_session_becomes_runs_orders_executions_oco_and_bars(
    env: ProjectionEnv,
) -> None:
    await env.append(bracket_session())
    assert sorted(await env.runner.discover()) == sorted([RUN, "catalog"])
    await env.catch_up_all()

    (run,) = await env.rows("strategy_runs")
    assert run["status"] == "COMPLETED"
    assert run["instance_id"] == "654EAF46109D0847CC9F7F01D7E47C43"
    assert run["placeholder"] is False
    assert run["event_count"] == 15
    orders = {o["order_id"]: o for o in await env.rows("orders")}
    assert orders["1001"]["status"] == "FILLED"  # proven by its fills; the exporter said NEW
    assert orders["1001"]["filled_quantity"] == 2.0
    assert orders["1001"]["avg_fill_price"] == pytest.approx(5701.875)
    assert orders["1001"]["fees"] == 2.5
    assert orders["1002"]["placeholder"] is False  # its fill came first; the order resolved it
    assert orders["1002"]["side"] == "SELL"
    assert orders["1002"]["status"] == "FILLED"
    assert orders["1003"]["status"] == "CANCELED"  # the late NEW did not regress it
    assert orders["1003"]["stop_price"] == 5690.0  # the partial update kept known fields
    history = await env.rows("order_history")
    assert [h["status"] for h in history if h["order_id"] == "1003"] == ["NEW", "CANCELED", "NEW"]
    links = {(link["order_id"], link["role"]) for link in await env.rows("order_oco_links")}
    assert links == {("1002", "TP"), ("1003", "SL")}
    (series,) = await env.rows("run_series")
    assert (series["timeframe"], series["bar_count"]) == ("1m", 2)
    assert len(await env.rows("bars")) == 2
    (instance,) = await env.rows("strategy_instances")
    assert instance["timeframe"] == "1m"
    assert instance["placeholder"] is False
    (strategy,) = await env.rows("strategies")
    assert strategy["notes"] == "demo"


async def test_catching_up_again_applies_nothing_and_changes_nothing(env: ProjectionEnv) -> None:
    await env.append(bracket_session())
    await env.catch_up_all()
    before = await env.rows("orders")
    report = await env.runner.catch_up(RUN)
    assert report.applied == 0
    assert await env.runner.discover() == []
    assert await env.rows("orders") == before


async def test_a_poison_event_halts_only_its_partition_and_is_recorded(
    env: ProjectionEnv,
) -> None:
    session = bracket_session()
    await env.append(session)
    await env.append(bracket_session("other-run")[2:])
    poisoned = 6  # T-1's position: corrupt it in the log as a broken writer might
    async with env.log._writer.begin() as conn:
        await conn.execute(
            update(ingest_events)
            .where(ingest_events.c.position == poisoned)
            .values(payload='{"type": "execution.recorded", "version": 1}')
        )
    await env.catch_up_all()
    checkpoints = {c.partition: c for c in await env.store.all_checkpoints()}
    halted = checkpoints[RUN]
    assert halted.halted_position == poisoned
    assert halted.position == poisoned - 1  # everything before it applied, nothing after
    assert halted.halted_error is not None
    assert "cannot decode" in halted.halted_error
    assert checkpoints["other-run"].halted_position is None
    assert checkpoints["other-run"].position == checkpoints["other-run"].known_position
    assert RUN not in await env.runner.discover()  # a halted partition is not retried


async def test_two_runners_racing_on_one_partition_apply_each_event_once(
    env: ProjectionEnv,
) -> None:
    await env.append(bracket_session())
    await env.runner.discover()
    rival = Runner(env.feed, env.store, batch_size=2)
    reports = await asyncio.gather(env.runner.catch_up(RUN), rival.catch_up(RUN))
    assert sum(r.applied for r in reports) == 15
    (run,) = await env.rows("strategy_runs")
    assert run["event_count"] == 15  # each event counted once, whoever applied it
