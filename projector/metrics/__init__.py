"""Run metrics (§5.2): trade statistics, equity and drawdown, daily risk ratios, execution
quality, exposure and regimes, per run and over several runs. Pure: no I/O, no clock.

The runner calls `report_run(RunInputs(...), RunFacts(...))` for a run (it reconstructs the
trades too) and `aggregate_metrics([report.inputs, ...])` for an instance or a strategy.
"""

from projector.metrics.equity import EquityCurve, build_equity_curve, combined_equity
from projector.metrics.execution import ExecutionStats, OrderFact
from projector.metrics.inputs import MetricsInputs, RunFacts, periods_per_year_of
from projector.metrics.regimes import RegimeStats
from projector.metrics.report import RunReport, report_reconstruction, report_run
from projector.metrics.returns import ReturnBasis, ReturnStats
from projector.metrics.run import RunMetrics, aggregate_metrics, run_metrics
from projector.metrics.trade_stats import TradeStats

__all__ = [
    "EquityCurve",
    "ExecutionStats",
    "MetricsInputs",
    "OrderFact",
    "RegimeStats",
    "ReturnBasis",
    "ReturnStats",
    "RunFacts",
    "RunMetrics",
    "RunReport",
    "TradeStats",
    "aggregate_metrics",
    "build_equity_curve",
    "combined_equity",
    "periods_per_year_of",
    "report_reconstruction",
    "report_run",
    "run_metrics",
]
