"""When the projector recomputes a run's analytics, and that the result never depends on how
the log was batched, on a crash between the last batch and the analytics, or on two runs of
one instance committing at the same time (SQLite and PostgreSQL). Figures are those worked
by hand in test_run_analytics.py.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from projector.runner import Runner
from projector.store import Checkpoint, ProjectionStore
from schema.tables.projections import trades as trades_table
from tests.fixtures.sessions import ANALYTICS_RUN, ANALYTICS_STRATEGY, analytics_session
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.integration.test_run_analytics import analyzed, trades_by_cycle

RUN = ANALYTICS_RUN
ANALYTICS_TABLES = (
    "trades",
    "trade_lot_matches",
    "open_positions",
    "equity_points",
    "trade_flags",
    "run_metrics",
    "instance_metrics",
    "strategy_metrics",
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProjectionEnv]:
    async with projection_env(request.param, tmp_path, batch_size=7) as environment:
        yield environment


async def test_an_instrument_defined_after_the_run_was_analyzed_reprices_its_trades(
    env: ProjectionEnv,
) -> None:
    await env.append(analytics_session())
    await env.runner.discover()
    await env.runner.catch_up(RUN)  # before the catalog: ES has no multiplier yet
    assert (await trades_by_cycle(env))["ESM5", 1]["pnl_gross"] == 19.5  # 9.75 x 2 x 1

    await env.runner.catch_up("catalog")
    assert (await trades_by_cycle(env))["ESM5", 1]["pnl_gross"] == 975.0
    (run,) = await env.rows("run_metrics")
    assert (run["net_pnl"], run["strategy_id"]) == (625.0, ANALYTICS_STRATEGY)
    (strategy,) = await env.rows("strategy_metrics")  # the instance named its strategy
    assert strategy["net_pnl"] == 625.0


async def test_fills_of_an_unknown_order_are_held_then_counted_when_it_arrives(
    env: ProjectionEnv,
) -> None:
    session = analytics_session()
    late_order = next(e for e in session if e.get("order_id") == "A1" and "status" in e)
    await analyzed(env, [e for e in session if e is not late_order])
    flags = await env.rows("trade_flags")
    assert [(f["execution_id"], f["kind"]) for f in flags] == [("X7", "HELD"), ("X8", "HELD")]
    assert await env.rows("open_positions") == []

    await analyzed(env, [late_order])
    assert await env.rows("trade_flags") == []
    (position,) = await env.rows("open_positions")
    assert (position["symbol"], position["quantity"]) == ("AAPL", 100.0)
    (run,) = await env.rows("run_metrics")
    assert run["total_pnl"] == 724.0


async def test_a_late_fill_closing_the_open_position_adds_a_trade(env: ProjectionEnv) -> None:
    await analyzed(env)
    exit_order = {
        "type": "order.submitted",
        "run_id": RUN,
        "order_id": "A2",
        "symbol": "AAPL",
        "account_id": "SIM-1",
        "side": "SELL",
        "order_type": "MARKET",
        "quantity": 100.0,
        "submit_utc": "2025-03-03T14:58:00Z",
    }
    fill = {
        "type": "execution.recorded",
        "run_id": RUN,
        "execution_id": "X9",
        "order_id": "A2",
        "exec_utc": "2025-03-03T14:58:00Z",
        "price": 180.75,
        "quantity": 100.0,
        "fee": 1.0,
    }
    await analyzed(env, [exit_order, fill])
    trades = await trades_by_cycle(env)
    assert trades["AAPL", 1]["pnl_net"] == 73.0  # 0.75 x 100 - 0.6 - 0.4 - 1
    assert await env.rows("open_positions") == []
    (run,) = await env.rows("run_metrics")
    assert (run["trades"], run["net_pnl"], run["total_pnl"]) == (4, 698.0, 698.0)


async def test_a_heartbeat_leaves_analytics_alone_and_a_bar_recomputes_them(
    env: ProjectionEnv,
) -> None:
    await analyzed(env)
    async with env.store.writer.begin() as conn:  # a marker: gone if the run is recomputed
        await conn.execute(delete(trades_table).where(trades_table.c.exit_reason == "SL"))
    beat = {"type": "run.heartbeat", "run_id": RUN, "ts_utc": "2025-03-03T15:00:05Z"}
    await analyzed(env, [beat])
    assert len(await env.rows("trades")) == 2
    (checkpoint,) = [c for c in await env.store.all_checkpoints() if c.partition == RUN]
    assert checkpoint.analytics_position == checkpoint.position  # carried along, still current

    bar = next(e for e in analytics_session() if e["type"] == "bar.closed")
    await analyzed(env, [{**bar, "close": bar["close"] + 0.25}])  # a corrected bar
    assert len(await env.rows("trades")) == 3


class CrashBeforeAnalytics(Exception):
    """The process died after its last batch committed, before the analytics stage."""


class DyingStore(ProjectionStore):
    async def claim_analytics(self, conn: AsyncConnection, checkpoint: Checkpoint) -> bool:
        raise CrashBeforeAnalytics


async def test_analytics_left_due_by_a_crash_are_computed_by_the_next_catch_up(
    env: ProjectionEnv,
) -> None:
    await env.append(analytics_session())
    env.runner.store = DyingStore(env.store.writer, env.store.reader)
    with pytest.raises(CrashBeforeAnalytics):
        await env.catch_up_all()
    assert await env.rows("trades") == []
    env.runner.store = env.store  # a new process
    assert sorted(await env.runner.discover()) == sorted([RUN, "catalog"])  # due, not behind
    await env.catch_up_all()
    assert len(await env.rows("trades")) == 3
    assert await env.runner.discover() == []


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_batches_of_1_3_and_1000_give_identical_analytics_rows(
    backend: str, tmp_path: Path
) -> None:
    dumps = []
    for batch_size in (1, 3, 1000):
        directory = tmp_path / str(batch_size)
        directory.mkdir()
        async with projection_env(backend, directory, batch_size=batch_size) as env:
            await analyzed(env)
            dumps.append({table: repr(await env.rows(table)) for table in ANALYTICS_TABLES})
    assert dumps[0] == dumps[1] == dumps[2]
    assert "5700.25" in dumps[0]["trades"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_runs_of_one_instance_analyzed_at_once_all_count_in_its_metrics(
    backend: str, tmp_path: Path
) -> None:
    runs = [f"run-{number}" for number in range(6)]
    session = analytics_session()
    async with projection_env(backend, tmp_path) as env:
        await env.append(session[:3])  # the catalog: strategy, instance, ES multiplier
        await env.append([event for run in runs for event in analytics_session(run)[3:]])
        await env.runner.discover()
        await env.runner.catch_up("catalog")
        workers = [Runner(env.feed, env.store, batch_size=5) for _ in runs]
        await asyncio.gather(*(w.catch_up(run) for w, run in zip(workers, runs, strict=True)))

        (instance,) = await env.rows("instance_metrics")
        (strategy,) = await env.rows("strategy_metrics")
        for aggregate in (instance, strategy):
            assert aggregate["runs"] == 6
            assert (aggregate["trades"], aggregate["net_pnl"]) == (18, 6 * 625.0)
            assert aggregate["total_pnl"] == 6 * 724.0
