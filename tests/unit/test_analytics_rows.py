"""A run's report -> analytics rows and back (projector/analytics/rows.py and stored.py):
floats stored as they read back, canonical metrics JSON, and a run measured from its rows
giving the metrics it was stored with."""

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from projector.analytics.rows import (
    equity_rows,
    flag_rows,
    match_rows,
    metric_columns,
    metrics_json,
    open_position_rows,
    run_metrics_row,
    stored_float,
    trade_rows,
)
from projector.analytics.stored import (
    StoredRun,
    applied_fills,
    equity_curve_of,
    metrics_inputs_of,
    trade_of,
)
from projector.metrics import OrderFact, RunFacts, RunReport, aggregate_metrics, report_run
from projector.trades import RunInputs
from schema.enums import OrderStatus
from tests.fixtures.trade_builders import RUN, T0, fills, minute_bars


@pytest.mark.parametrize(
    ("value", "stored"),
    [(math.nan, None), (math.inf, None), (-math.inf, None), (None, None), (2, 2.0), (1.5, 1.5)],
)
def test_a_float_column_holds_none_for_what_is_not_finite(
    value: float | None, stored: float | None
) -> None:
    result = stored_float(value)
    assert result == stored
    assert type(result) is type(stored)


def test_negative_zero_is_stored_as_zero() -> None:
    assert math.copysign(1.0, stored_float(-0.0) or 1.0) == 1.0
    assert repr(stored_float(-0.0)) == "0.0"


def report() -> RunReport:
    """A long closed with a win, a short still open; a HELD fill; one-minute bars."""
    given = fills("B 2@100 f1; S 2@103 f1; S 1@104 f0.5 t=3")
    orphan = dataclasses.replace(fills("B 1@100 t=2", prefix="h")[0], side=None)  # order unknown
    inputs = RunInputs(
        RUN, [*given, orphan], {"ES": 50.0}, bars={"ES": minute_bars([100, 102, 101, 104, 103])}
    )
    orders = [
        OrderFact(f"o{n}", OrderStatus.FILLED, quantity=2.0, filled_quantity=2.0) for n in (1, 2, 3)
    ]
    return report_run(
        inputs,
        RunFacts(initial_balance=10_000.0, start_utc=T0 - timedelta(minutes=5), orders=orders),
    )


def test_report_rows_hold_enums_as_text_and_floats_as_floats() -> None:
    done = report()
    (trade,) = trade_rows(done.reconstruction.trades)
    assert (trade["side"], trade["outcome"], trade["pnl_net"]) == ("LONG", "WIN", 298.0)
    (position,) = open_position_rows(done.reconstruction.open_positions)
    assert (position["side"], position["pnl_net"]) == ("SHORT", -0.5 + 50.0)  # (104-103) x 50
    (flag,) = flag_rows(RUN, done.reconstruction.flags)
    assert (flag["run_id"], flag["execution_id"], flag["kind"]) == (RUN, "h1", "HELD")
    matches = match_rows(RUN, done.reconstruction.matches)
    assert {m["run_id"] for m in matches} == {RUN}
    points = equity_rows(RUN, done.equity)
    assert [p["seq"] for p in points] == list(range(len(done.equity)))
    assert all(isinstance(p["equity"], float) for p in points)


def test_metrics_json_is_canonical_sorted_and_never_nan() -> None:
    text = metrics_json(report().metrics)
    document = orjson.loads(text)
    assert text == orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert document["trades"]["profit_factor"] is None  # no loss
    assert list(document) == sorted(document)


def test_the_scalar_columns_repeat_the_metrics() -> None:
    metrics = report().metrics
    columns = metric_columns(metrics)
    assert (columns["net_pnl"], columns["trades"]) == (metrics.trades.net_pnl, 1)
    assert columns["total_pnl"] == metrics.total_pnl
    assert columns["max_drawdown"] == metrics.returns.max_drawdown


def stored_run(done: RunReport) -> StoredRun:
    span = done.inputs.span
    assert span is not None
    metrics = run_metrics_row(
        {
            "run_id": RUN,
            "computed_position": 4,
            "instance_id": None,
            "strategy_id": None,
            "initial_balance": done.equity.initial,
            "start_utc": done.equity.start_utc,
            "span_start_utc": span[0],
            "span_end_utc": span[1],
            "periods_per_year": done.inputs.periods_per_year,
        },
        done.metrics,
    )
    return StoredRun(
        metrics=metrics,
        trades=trade_rows(done.reconstruction.trades),
        open_positions=open_position_rows(done.reconstruction.open_positions),
        equity=equity_rows(RUN, done.equity),
        fills=done.reconstruction.fills,
        orders=done.inputs.orders,
    )


def test_a_run_measured_from_its_rows_gives_the_metrics_it_was_stored_with() -> None:
    done = report()
    run = metrics_inputs_of(stored_run(done))
    assert run.trades == done.reconstruction.trades
    assert run.open_positions == done.reconstruction.open_positions
    assert run.equity == done.equity
    assert run.span == done.inputs.span
    assert metrics_json(aggregate_metrics([run])) == metrics_json(done.metrics)


def test_a_null_in_a_required_figure_reads_back_as_nan() -> None:
    (row,) = trade_rows(report().reconstruction.trades)
    assert math.isnan(trade_of({**row, "pnl_net": None}).pnl_net)
    assert trade_of({**row, "mfe": None}).mfe is None
    curve = equity_curve_of(
        {"initial_balance": None, "start_utc": None},
        [{"ts_utc": T0, "equity": None, "drawdown": 0.0, "drawdown_pct": None}],
    )
    assert (curve.initial, math.isnan(curve.equity[0]), curve.drawdown_pct) == (0.0, True, (None,))


def test_applied_fills_are_the_unflagged_ones_in_fill_order() -> None:
    given = fills("B 1@100 t=2; B 1@100 t=1; S 2@101 t=3")
    kept = applied_fills(given, ["x3"])
    assert [f.execution_id for f in kept] == ["x2", "x1"]
    assert kept[0].exec_utc == datetime(2025, 3, 3, 14, 31, tzinfo=UTC)
