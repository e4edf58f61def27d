"""The projector computes trades, positions, equity and metrics when a run changes, from a
real log through the real runner, on SQLite and PostgreSQL.

The session (tests/fixtures/sessions.py: analytics_session) is worked by hand below: ES has a
multiplier of 50 (defined for every run), AAPL none (1); initial balance 100,000; the run
spans 14:00-15:00. Fills: X1 B 1@5700 f2.5 (14:02), X2 B 1@5700.50 f2.5 (14:02:30), X3 S
2@5710 f5 (14:10, TP1), X4 S 1@5712 f2.5 (14:20), X5 B 3@5706 f7.5 (14:30, the reversal),
X6 S 2@5699.75 f5 (14:45, SL2), X7 B 60 AAPL@180 f0.6 (14:50:30), X8 B 40@180 f0.4 (14:51).
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.fixtures.sessions import (
    ANALYTICS_INSTANCE,
    ANALYTICS_STRATEGY,
    analytics_session,
)
from tests.integration.projection_env import ProjectionEnv, projection_env


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProjectionEnv]:
    async with projection_env(request.param, tmp_path, batch_size=7) as environment:
        yield environment


async def analyzed(env: ProjectionEnv, events: list[dict[str, Any]] | None = None) -> None:
    await env.append(analytics_session() if events is None else events)
    await env.catch_up_all()


async def trades_by_cycle(env: ProjectionEnv) -> dict[tuple[str, int], dict[str, Any]]:
    return {(t["symbol"], t["cycle"]): t for t in await env.rows("trades")}


async def test_trades_are_the_cycles_worked_by_hand(env: ProjectionEnv) -> None:
    await analyzed(env)
    trades = await trades_by_cycle(env)
    assert sorted(trades) == [("ESM5", 1), ("ESM5", 2), ("ESM5", 3)]

    first = trades["ESM5", 1]  # X1 + X2 long 2, closed by TP1's fill X3
    assert (first["side"], first["quantity"], first["entry_price"]) == ("LONG", 2.0, 5700.25)
    assert first["exit_price"] == 5710.0
    assert first["pnl_gross"] == 975.0  # (5710 - 5700.25) x 2 x 50
    assert first["commission"] == 10.0  # 2.5 + 2.5 + 5
    assert first["pnl_net"] == 965.0
    assert (first["exit_reason"], first["outcome"], first["multiplier"]) == ("TP", "WIN", 50.0)
    assert first["duration_seconds"] == 480.0  # 14:02 -> 14:10
    assert first["trade_return"] == pytest.approx(965 / (5700.25 * 2 * 50))
    # The 5-minute bar 14:05-14:10 lies inside the trade (the 15-minute bar is not used):
    # high max(5704, fills up to 5710) = 5710, low min(5699, 5700) = 5699.
    assert first["mfe"] == 975.0  # (5710 - 5700.25) x 2 x 50
    assert first["mae"] == 125.0  # (5700.25 - 5699) x 2 x 50
    assert (first["fill_count"], first["entry_order_id"], first["exit_order_id"]) == (
        3,
        "E1",
        "TP1",
    )

    short = trades["ESM5", 2]  # X4 short 1 @ 5712, closed by the first part of X5
    assert (short["side"], short["quantity"], short["exit_price"]) == ("SHORT", 1.0, 5706.0)
    assert short["pnl_gross"] == 300.0  # (5712 - 5706) x 1 x 50
    assert short["commission"] == 5.0  # 2.5 + X5's 7.5 x 1/3
    assert short["pnl_net"] == 295.0
    assert short["exit_reason"] is None  # R1 is in no OCO group
    assert short["mfe"] == 350.0  # bars 14:20-14:30: low 5705 -> (5712 - 5705) x 50
    assert short["mae"] == 100.0  # high 5714 -> (5714 - 5712) x 50

    stopped = trades["ESM5", 3]  # the rest of X5, long 2 @ 5706, stopped out by SL2
    assert (stopped["side"], stopped["entry_price"], stopped["exit_price"]) == (
        "LONG",
        5706.0,
        5699.75,
    )
    assert stopped["pnl_gross"] == -625.0  # (5699.75 - 5706) x 2 x 50
    assert stopped["commission"] == 10.0  # X5's 7.5 x 2/3 + 5
    assert stopped["pnl_net"] == -635.0
    assert (stopped["exit_reason"], stopped["outcome"]) == ("SL", "LOSS")
    assert stopped["mfe"] == 600.0  # bars 14:30-14:45: high 5712 -> 6 x 2 x 50
    assert stopped["mae"] == 800.0  # low 5698 -> 8 x 2 x 50
    assert all(t["regime_trend"] is None for t in trades.values())  # < 21 closes
    assert await env.rows("trade_flags") == []


async def test_fifo_matches_share_each_fill_fee_and_add_up_to_the_trade(
    env: ProjectionEnv,
) -> None:
    await analyzed(env)
    trades = await trades_by_cycle(env)
    matches = await env.rows("trade_lot_matches")
    first = [m for m in matches if m["trade_id"] == trades["ESM5", 1]["trade_id"]]
    assert [(m["entry_execution_id"], m["exit_execution_id"]) for m in first] == [
        ("X1", "X3"),
        ("X2", "X3"),
    ]
    assert [m["pnl_gross"] for m in first] == [500.0, 475.0]  # 10 x 50, 9.5 x 50
    assert [m["fees"] for m in first] == [5.0, 5.0]  # 2.5 + half of X3's 5, each
    assert [m["pnl_net"] for m in first] == [495.0, 470.0]  # 495 + 470 = 965
    for trade in trades.values():
        own = [m["pnl_net"] for m in matches if m["trade_id"] == trade["trade_id"]]
        assert sum(own) == pytest.approx(trade["pnl_net"])


async def test_the_open_position_is_marked_at_its_last_bar_close(env: ProjectionEnv) -> None:
    await analyzed(env)
    (position,) = await env.rows("open_positions")
    assert (position["symbol"], position["side"], position["quantity"]) == ("AAPL", "LONG", 100.0)
    assert (position["average_cost"], position["commission"]) == (180.0, 1.0)  # 0.6 + 0.4
    assert (position["mark_price"], position["multiplier"]) == (181.0, 1.0)
    assert position["unrealized_pnl"] == 100.0  # (181 - 180) x 100
    assert position["pnl_net"] == 99.0  # 0 realized - 1 + 100


# equity = 100,000 + cash PnL of the fills so far + open positions at the last closes
EQUITY = [
    ("14:00", 100000.0, 0.0),  # the run's start
    ("14:05", 99970.0, 30.0),  # -5 fees; long 2 @ 5700.25 at 5700: -25
    ("14:10", 100965.0, 0.0),  # T1 closed: +965
    ("14:15", 100965.0, 0.0),
    ("14:20", 100962.5, 2.5),  # X4 fee; short 1 @ 5712 at 5712
    ("14:25", 101062.5, 0.0),  # close 5710: +100
    ("14:30", 101355.0, 0.0),  # X5: +300 - 7.5; long 2 @ 5706 at 5707: +100
    ("14:35", 101455.0, 0.0),  # 5708: +200
    ("14:40", 100855.0, 600.0),  # 5702: -400
    ("14:45", 100625.0, 830.0),  # T3 closed: 100,000 + 965 + 295 - 635
    ("14:50", 100625.0, 830.0),  # AAPL not bought yet
    ("14:55", 100674.0, 781.0),  # -1 fees; 100 AAPL @ 180 at 180.5: +50
    ("15:00", 100724.0, 731.0),  # 181: +100
]


async def test_the_equity_curve_and_run_metrics_are_the_hand_computed_ones(
    env: ProjectionEnv,
) -> None:
    await analyzed(env)
    points = await env.rows("equity_points")
    assert [(p["ts_utc"].strftime("%H:%M"), p["equity"], p["drawdown"]) for p in points] == EQUITY
    assert points[9]["drawdown_pct"] == pytest.approx(830 / 101455)  # from the 14:35 peak

    (row,) = await env.rows("run_metrics")
    assert (row["trades"], row["wins"], row["losses"], row["breakevens"]) == (3, 2, 1, 0)
    assert (row["gross_pnl"], row["fees"], row["net_pnl"]) == (650.0, 25.0, 625.0)
    assert (row["open_positions"], row["open_pnl"], row["total_pnl"]) == (1, 99.0, 724.0)
    assert row["win_rate"] == pytest.approx(2 / 3)
    assert row["profit_factor"] == pytest.approx((965 + 295) / 635)
    assert (row["max_drawdown"], row["max_drawdown_pct"]) == (830.0, pytest.approx(830 / 101455))
    assert (row["sharpe"], row["sortino"]) == (None, None)  # one day: no dispersion
    # In market 14:02-14:10, 14:20-14:45, 14:50:30-15:00 = 8 + 25 + 9.5 min of 60.
    assert row["exposure"] == pytest.approx(42.5 / 60)
    assert (row["instance_id"], row["strategy_id"]) == (ANALYTICS_INSTANCE, ANALYTICS_STRATEGY)
    assert row["periods_per_year"] == 252.0  # the ES instrument is a FUTURE
    # X8, the last fill, comes just before run.ended (which changes no input row position).
    assert row["computed_position"] == len(analytics_session()) - 1
    metrics = orjson.loads(row["metrics_json"])
    execution = metrics["execution"]
    # 8 orders, SL1 and TP2 canceled; filled 2+2+0+1+3+0+2+100 of 2+2+2+1+3+2+2+100.
    assert (execution["orders"], execution["canceled_orders"]) == (8, 2)
    assert execution["fill_ratio"] == pytest.approx(110 / 114)
    # Priced orders only: X3 at its limit, X6 0.25 below its stop, X7/X8 at the limit.
    assert execution["slippage_fills"] == 4
    assert execution["slippage_mean"] == pytest.approx(0.25 * 2 / 104)
    assert metrics["trades"]["largest_loss"] == -635.0
    assert row["metrics_json"] == orjson.dumps(metrics, option=orjson.OPT_SORT_KEYS).decode()


async def test_instance_and_strategy_metrics_hold_the_run(env: ProjectionEnv) -> None:
    await analyzed(env)
    (run,) = await env.rows("run_metrics")
    (instance,) = await env.rows("instance_metrics")
    (strategy,) = await env.rows("strategy_metrics")
    assert (instance["instance_id"], instance["runs"]) == (ANALYTICS_INSTANCE, 1)
    assert (strategy["strategy_id"], strategy["runs"]) == (ANALYTICS_STRATEGY, 1)
    for aggregate in (instance, strategy):
        assert aggregate["computed_position"] == run["computed_position"]
        assert (aggregate["net_pnl"], aggregate["total_pnl"]) == (625.0, 724.0)
        assert aggregate["max_drawdown"] == 830.0
