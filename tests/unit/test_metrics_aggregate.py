"""Metrics of several runs held together (an instance, a strategy), of one run through the
runner's entry point, regimes, exposure and the periods_per_year defaults."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from projector.metrics import (
    RunFacts,
    RunReport,
    aggregate_metrics,
    periods_per_year_of,
    report_run,
    run_metrics,
)
from projector.metrics.regimes import regime_stats
from projector.trades import RunInputs
from tests.fixtures.trade_builders import MINUTE, T0, fills, trades_with_nets


def _report(
    script: str,
    initial: float,
    run_id: str = "r",
    asset_class: str | None = None,
    end_utc: datetime | None = None,
) -> RunReport:
    facts = RunFacts(initial_balance=initial, asset_class=asset_class, end_utc=end_utc)
    return report_run(RunInputs(run_id, fills(script)), facts)


def test_one_run_measured_alone_equals_the_aggregate_of_one() -> None:
    report = _report("B 1@100; S 1@105; S 2@50; B 2@49", 1000)

    assert run_metrics(report.inputs) == aggregate_metrics([report.inputs])
    assert report.metrics == run_metrics(report.inputs)


def test_aggregate_concatenates_trades_and_sums_equity() -> None:
    first = _report("B 1@100 t=0; S 1@110 t=10", 1000, "a")
    second = _report("B 1@100 t=5; S 1@95 t=20", 500, "b")

    metrics = aggregate_metrics([first.inputs, second.inputs])

    assert (metrics.runs, metrics.trades.trades, metrics.trades.net_pnl) == (2, 2, 5)
    assert (metrics.returns.start_equity, metrics.returns.end_equity) == (1500, 1505)
    assert metrics.returns.max_drawdown == 5


def test_aggregate_exposure_is_market_time_over_the_union_of_run_spans() -> None:
    first = _report("B 1@100 t=0; S 1@110 t=10", 0, "a", end_utc=T0 + 20 * MINUTE)
    second = _report("B 1@100 t=5; S 1@95 t=15", 0, "b", end_utc=T0 + 40 * MINUTE)

    metrics = aggregate_metrics([first.inputs, second.inputs])

    assert first.metrics.exposure == pytest.approx(10 / 20)
    assert metrics.time_in_market_seconds == 15 * 60
    assert metrics.exposure == pytest.approx(15 / 40)


def test_open_position_is_in_the_market_until_its_run_ends() -> None:
    report = _report("B 1@100 t=0; S 1@110 t=10; B 1@100 t=30", 0, end_utc=T0 + 60 * MINUTE)

    assert report.metrics.time_in_market_seconds == (10 + 30) * 60
    assert report.metrics.open_positions == 1


def test_aggregate_annualises_with_the_runs_common_periods_per_year_or_the_given_one() -> None:
    crypto = _report("B 1@100; S 1@105", 1000, asset_class="CRYPTO").inputs
    fx = replace(crypto, periods_per_year=260.0)

    assert aggregate_metrics([crypto, crypto]).returns.periods_per_year == 365
    assert aggregate_metrics([crypto, fx]).returns.periods_per_year == 252
    assert aggregate_metrics([crypto, fx], periods_per_year=300).returns.periods_per_year == 300


@pytest.mark.parametrize(
    ("run_value", "asset_class", "expected"),
    [
        (None, "FUTURE", 252), (None, "equity", 252), (None, "FX", 260), (None, "CRYPTO", 365),
        (None, None, 252), (None, "WEATHER", 252), (250, "CRYPTO", 250), (0, "FX", 260),
    ],
)  # fmt: skip
def test_periods_per_year_is_the_runs_own_else_its_asset_class_default(
    run_value: float | None, asset_class: str | None, expected: float
) -> None:
    assert periods_per_year_of(run_value, asset_class) == expected


def test_aggregate_of_no_runs_and_a_run_without_fills_measure_without_crashing() -> None:
    empty = _report("", 0)

    for metrics in (aggregate_metrics([]), empty.metrics):
        assert (metrics.trades.trades, metrics.open_positions, metrics.total_pnl) == (0, 0, 0)
        assert (metrics.exposure, metrics.returns.sharpe, metrics.trades.win_rate) == (None,) * 3


def test_pnl_and_win_rate_by_regime_group_trades_by_their_tags() -> None:
    up_win, up_loss, range_win, untagged = trades_with_nets([5, -2, 3, 1])
    tagged = [
        replace(up_win, regime_trend="UP", regime_volatility="HIGH"),
        replace(up_loss, regime_trend="UP", regime_volatility="LOW"),
        replace(range_win, regime_trend="RANGE", regime_volatility="HIGH"),
        untagged,
    ]

    rows = [(r.dimension, r.regime, r.trades, r.net_pnl, r.win_rate) for r in regime_stats(tagged)]

    assert rows == [
        ("trend", "RANGE", 1, 3, 1.0),
        ("trend", "UNKNOWN", 1, 1, 1.0),
        ("trend", "UP", 2, 3, 0.5),
        ("volatility", "HIGH", 2, 8, 1.0),
        ("volatility", "LOW", 1, -2, 0.0),
        ("volatility", "UNKNOWN", 1, 1, 1.0),
    ]


def test_run_span_defaults_to_its_first_and_last_fill() -> None:
    report = _report("B 1@100 t=0; S 1@110 t=10", 0)

    assert report.inputs.span == (T0, T0 + timedelta(minutes=10))
    assert report.metrics.exposure == 1.0
