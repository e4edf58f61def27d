"""Stored rows -> reconstruction inputs: fills completed from orders, the bar series chosen,
OCO roles, instruments in force, order facts (projector/analytics/inputs.py)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from projector.analytics import affects_analytics
from projector.analytics.inputs import (
    RunRows,
    asset_class_of,
    computed_position_of,
    effective_instruments,
    fill_of,
    fills_of,
    finest_series,
    oco_roles_of,
    order_facts_of,
    run_inputs_of,
    timeframe_rank,
)
from projector.trades import Bar
from projector.writes import Row
from schema.codec import decode_event
from schema.enums import OcoRole, OrderStatus, OrderType, Side

T0 = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def order(order_id: str, **fields: Any) -> Row:
    row: Row = {
        "order_id": order_id,
        "side": "BUY",
        "symbol": "ES",
        "account_id": "ACC",
        "status": "FILLED",
        "order_type": "LIMIT",
        "quantity": 2.0,
        "price": 100.0,
        "stop_price": None,
        "filled_quantity": 2.0,
        "submit_utc": T0,
        "first_fill_utc": T0,
        "placeholder": False,
        "last_position": 1,
    }
    return {**row, **fields}


def execution(execution_id: str, order_id: str, **fields: Any) -> Row:
    row: Row = {
        "execution_id": execution_id,
        "order_id": order_id,
        "exec_utc": T0,
        "position": 10,
        "quantity": 1.0,
        "price": 100.0,
        "fee": None,
        "side": None,
        "symbol": None,
        "account_id": None,
        "last_position": 10,
    }
    return {**row, **fields}


def series(series_id: str, symbol: str, timeframe: str, bar_count: int = 10) -> Row:
    return {
        "series_id": series_id,
        "symbol": symbol,
        "timeframe": timeframe,
        "bar_count": bar_count,
        "last_position": 5,
    }


def instrument(scope: str, symbol: str, multiplier: float, asset_class: str | None = None) -> Row:
    return {
        "scope": scope,
        "symbol": symbol,
        "multiplier": multiplier,
        "asset_class": asset_class,
        "last_position": 2,
    }


def test_a_fill_takes_side_symbol_and_account_from_its_order() -> None:
    fill = fill_of(execution("x1", "o1", fee=1.5), order("o1", side="SELL"))
    assert (fill.side, fill.symbol, fill.account_id, fill.fee) == (Side.SELL, "ES", "ACC", 1.5)
    assert not fill.is_held


def test_what_the_execution_says_itself_beats_its_order() -> None:
    own = execution("x1", "o1", side="BUY", symbol="NQ", account_id="B")
    fill = fill_of(own, order("o1", side="SELL"))
    assert (fill.side, fill.symbol, fill.account_id) == (Side.BUY, "NQ", "B")


def test_a_fill_of_an_unknown_order_is_held() -> None:
    assert fill_of(execution("x1", "o9"), None).is_held
    placeholder = order("o9", side=None, symbol=None, status="UNKNOWN", placeholder=True)
    assert fill_of(execution("x1", "o9"), placeholder).is_held


def test_fills_come_in_time_then_log_position_order() -> None:
    rows = [
        execution("b", "o1", position=3),
        execution("a", "o1", exec_utc=T0 + timedelta(seconds=1), position=1),
        execution("c", "o1", position=2),
    ]
    assert [f.execution_id for f in fills_of(rows, [order("o1")])] == ["c", "b", "a"]


def test_order_facts_leave_placeholders_out_and_parse_enums() -> None:
    rows = [
        order("o2", order_type=None, status="CANCELED"),
        order("o1"),
        order("o9", placeholder=True),
    ]
    facts = order_facts_of(rows)
    assert [f.order_id for f in facts] == ["o1", "o2"]
    assert (facts[0].status, facts[0].order_type) == (OrderStatus.FILLED, OrderType.LIMIT)
    assert (facts[1].status, facts[1].order_type) == (OrderStatus.CANCELED, None)


def test_an_order_linked_twice_keeps_tp_or_sl_over_exit_and_entry() -> None:
    links = [
        {"order_id": "o1", "role": "ENTRY"},
        {"order_id": "o1", "role": "SL"},
        {"order_id": "o2", "role": "EXIT"},
        {"order_id": "o2", "role": "ENTRY"},
        {"order_id": "o3", "role": "SL"},
        {"order_id": "o3", "role": "TP"},
    ]
    assert oco_roles_of(links) == {"o1": OcoRole.SL, "o2": OcoRole.EXIT, "o3": OcoRole.TP}


def test_timeframes_rank_ticks_then_durations_then_unparsed() -> None:
    ordered = ["100t", "1000t", "30s", "1m", "5m", "1h", "1d", "1w", "1mo", "renko"]
    assert sorted(reversed(ordered), key=timeframe_rank) == ordered


def test_each_symbol_reads_its_finest_series_the_fuller_one_on_a_tie() -> None:
    rows = [
        series("s-5m", "ES", "5m"),
        series("s-1m-few", "ES", "1m", bar_count=3),
        series("s-1m-many", "ES", "1m", bar_count=30),
        series("s-1h", "NQ", "1h"),
        series("s-b", "CL", "1m"),
        series("s-a", "CL", "1m"),
    ]
    assert finest_series(rows) == {"CL": "s-a", "ES": "s-1m-many", "NQ": "s-1h"}


def test_a_run_scoped_instrument_beats_the_one_for_every_run_in_any_order() -> None:
    run_row, every_run = instrument("run-1", "ES", 5.0), instrument("*", "ES", 50.0)
    for rows in ([run_row, every_run], [every_run, run_row]):
        assert effective_instruments(rows, "run-1")["ES"]["multiplier"] == 5.0
    assert effective_instruments([every_run], "run-1")["ES"]["multiplier"] == 50.0
    assert effective_instruments([instrument("run-2", "ES", 7.0)], "run-1") == {}


def test_the_asset_class_is_known_only_when_the_instruments_agree() -> None:
    future, fx = instrument("*", "ES", 50.0, "FUTURE"), instrument("*", "EURUSD", 1.0, "FX")
    assert asset_class_of({"ES": future, "NQ": {**future, "symbol": "NQ"}}) == "FUTURE"
    assert asset_class_of({"ES": future, "EURUSD": fx}) is None
    assert asset_class_of({"ES": instrument("*", "ES", 50.0)}) is None


def flat_bar(minute: int, close: float) -> Bar:
    return Bar(T0 + timedelta(minutes=minute), close, close, close, close)


def sample_rows() -> RunRows:
    return RunRows(
        run_id="run-1",
        run={"initial_balance": 1000.0, "periods_per_year": None, "start_utc": T0, "end_utc": None},
        orders=[order("o1", last_position=4), order("o2", side="SELL", symbol="NQ")],
        executions=[execution("x1", "o1", last_position=9), execution("x2", "o2")],
        oco_links=[{"order_id": "o2", "role": "TP", "last_position": 12}],
        series=[series("es-1m", "ES", "1m"), series("es-5m", "ES", "5m")],
        bars={"es-1m": [flat_bar(0, 100.0), flat_bar(1, 101.0)]},
        instruments=[
            instrument("*", "ES", 50.0, "FUTURE"),
            {**instrument("*", "CL", 1000.0), "last_position": 99},  # not traded: not read
        ],
    )


def test_a_runs_rows_become_its_inputs_and_facts() -> None:
    inputs, facts = run_inputs_of(sample_rows())
    assert [f.execution_id for f in inputs.fills] == ["x1", "x2"]
    assert inputs.multipliers == {"ES": 50.0}
    assert inputs.oco_roles == {"o2": OcoRole.TP}
    assert {symbol: [b.close for b in bars] for symbol, bars in inputs.bars.items()} == {
        "ES": [100.0, 101.0]
    }
    assert (facts.initial_balance, facts.start_utc, facts.asset_class) == (1000.0, T0, "FUTURE")
    assert [o.order_id for o in facts.orders] == ["o1", "o2"]


def test_the_computed_position_is_the_latest_input_the_analysis_read() -> None:
    assert computed_position_of(sample_rows()) == 12  # the OCO link; not the CL instrument
    assert computed_position_of(RunRows(run_id="run-1", run={"last_position": 50})) == 0


@pytest.mark.parametrize(
    ("event", "affects"),
    [
        ({"type": "run.heartbeat", "run_id": "r", "ts_utc": "2025-03-03T14:00:00Z"}, False),
        ({"type": "strategy.registered", "strategy_id": "S"}, False),
        ({"type": "instance.registered", "instance_id": "I", "strategy_id": "S"}, True),
        ({"type": "instrument.defined", "symbol": "ES", "multiplier": 50.0}, True),
        ({"type": "run.ended", "run_id": "r"}, True),
    ],
)
def test_only_heartbeats_and_strategy_registrations_leave_analytics_current(
    event: dict[str, Any], affects: bool
) -> None:
    assert affects_analytics(decode_event(event)) is affects
