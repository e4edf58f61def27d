"""The metrics of a run, and the same metrics over several runs (an instance, a strategy).

Several runs are measured as one portfolio holding all of them: their closed trades are
concatenated (trade statistics and regimes over all trades, streaks in exit order across
runs), their equity curves summed (`combined_equity`: starting balances add up, each run
contributes its change), their fills and orders concatenated, and exposure is the union of
their in-market time over the union of their spans. One run is the portfolio of one.
Daily ratios are annualised with the runs' periods_per_year when they agree, else with the
caller's value, else 252.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from projector.metrics.equity import combined_equity
from projector.metrics.execution import ExecutionStats, execution_stats
from projector.metrics.exposure import exposure, market_intervals
from projector.metrics.inputs import DEFAULT_PERIODS_PER_YEAR, MetricsInputs
from projector.metrics.regimes import RegimeStats, regime_stats
from projector.metrics.returns import ReturnStats, return_stats
from projector.metrics.trade_stats import TradeStats, trade_stats


@dataclass(frozen=True, slots=True)
class RunMetrics:
    """`net_pnl` of closed trades is in `trades`; `open_pnl` is what the open positions made
    so far (realized - fees + unrealized); `total_pnl` = both = the equity's change."""

    runs: int
    trades: TradeStats
    returns: ReturnStats
    execution: ExecutionStats
    regimes: tuple[RegimeStats, ...]
    open_positions: int
    open_pnl: float
    total_pnl: float
    time_in_market_seconds: float
    exposure: float | None


def _periods_per_year(runs: Sequence[MetricsInputs], override: float | None) -> float:
    if override is not None:
        return override
    values = {run.periods_per_year for run in runs}
    return values.pop() if len(values) == 1 else DEFAULT_PERIODS_PER_YEAR


def aggregate_metrics(
    runs: Sequence[MetricsInputs], periods_per_year: float | None = None
) -> RunMetrics:
    """The metrics of `runs` held together (see the module docstring)."""
    trades = [trade for run in runs for trade in run.trades]
    open_positions = [position for run in runs for position in run.open_positions]
    spans = [run.span for run in runs if run.span is not None]
    intervals = [
        interval
        for run in runs
        if run.span is not None
        for interval in market_intervals(run.trades, run.open_positions, run.span)
    ]
    seconds, fraction = exposure(intervals, spans)
    closed = trade_stats(trades)
    open_pnl = math.fsum(position.pnl_net for position in open_positions)
    return RunMetrics(
        runs=len(runs),
        trades=closed,
        returns=return_stats(
            combined_equity([run.equity for run in runs]), _periods_per_year(runs, periods_per_year)
        ),
        execution=execution_stats([(run.fills, run.orders) for run in runs]),
        regimes=regime_stats(trades),
        open_positions=len(open_positions),
        open_pnl=open_pnl,
        total_pnl=closed.net_pnl + open_pnl,
        time_in_market_seconds=seconds,
        exposure=fraction,
    )


def run_metrics(run: MetricsInputs) -> RunMetrics:
    """The metrics of one run."""
    return aggregate_metrics([run])
