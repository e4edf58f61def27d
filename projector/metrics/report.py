"""One call for the runner: a run's reconstruction, equity curve and metrics from its rows.

`report_run` indexes the bars once and uses them for both the trades (excursions, regimes,
marks) and the equity curve. The span it measures exposure and CAGR over is the run's own
(start_utc/end_utc of strategy_runs) where known; the missing end is observed from the data:
the first bar open or fill, the last bar end or fill.
"""

from dataclasses import dataclass
from datetime import datetime

from projector.metrics.equity import EquityCurve, build_equity_curve
from projector.metrics.exposure import Span
from projector.metrics.inputs import MetricsInputs, RunFacts, periods_per_year_of
from projector.metrics.run import RunMetrics, run_metrics
from projector.trades.context import TradeContext, build_context
from projector.trades.reconstruct import Reconstruction, RunInputs, extend


@dataclass(frozen=True, slots=True)
class RunReport:
    """Everything the runner writes for a run; `inputs` also feed `aggregate_metrics`."""

    reconstruction: Reconstruction
    equity: EquityCurve
    inputs: MetricsInputs
    metrics: RunMetrics


def observed_span(
    context: TradeContext,
    reconstruction: Reconstruction,
    start: datetime | None,
    end: datetime | None,
) -> Span | None:
    """The run's span: its own bounds where known, else the first and last bar or fill."""
    firsts: list[datetime] = [index.starts[0] for index in context.bars.values() if len(index)]
    lasts: list[datetime] = [index.ends[-1] for index in context.bars.values() if len(index)]
    if reconstruction.fills:
        firsts.append(reconstruction.fills[0].exec_utc)
        lasts.append(reconstruction.fills[-1].exec_utc)
    start = start or min(firsts, default=None)
    end = end or max(lasts, default=None)
    if start is None or end is None:
        return None
    return (start, max(start, end))


def report_run(inputs: RunInputs, facts: RunFacts) -> RunReport:
    """Reconstruct the run's trades, build its equity curve and compute its metrics."""
    context = build_context(inputs.run_id, inputs.multipliers, inputs.oco_roles, inputs.bars)
    reconstruction = extend(Reconstruction(inputs.run_id), inputs.fills, context)
    return report_reconstruction(reconstruction, context, facts)


def report_reconstruction(
    reconstruction: Reconstruction,
    context: TradeContext,
    facts: RunFacts,
    equity: EquityCurve | None = None,
) -> RunReport:
    """The equity curve (unless given: the runner may have carried it on) and metrics of a
    reconstruction the runner already holds."""
    if equity is None:
        equity = build_equity_curve(
            reconstruction.changes, context.bars, facts.initial_balance or 0.0, facts.start_utc
        )
    metrics_inputs = MetricsInputs(
        trades=reconstruction.trades,
        open_positions=reconstruction.open_positions,
        equity=equity,
        span=observed_span(context, reconstruction, facts.start_utc, facts.end_utc),
        fills=reconstruction.fills,
        orders=facts.orders,
        periods_per_year=periods_per_year_of(facts.periods_per_year, facts.asset_class),
    )
    return RunReport(reconstruction, equity, metrics_inputs, run_metrics(metrics_inputs))
