"""A run's analysis, and what a later pass carries on from (pure).

`analyze` analyzes a run from all its stored rows, as `report_run` does, and keeps what a
later pass needs (`RunAnalysis`): the rows by key, the chosen series' bars, the trade
context, the reconstruction (each position's state included), the equity curve's walk and
what its analytics rows read back as (for aggregates). `finish` makes the report, the
metrics row and the analytics rows of an analysis as it stands; carry_on.py carries an
analysis on with the rows changed since. A `Pass` says what to write: everything, or only
what was added and rewritten.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from projector.analytics.inputs import (
    RunRows,
    computed_position_of,
    finest_series,
    run_inputs_of,
)
from projector.analytics.rows import (
    equity_rows,
    flag_rows,
    match_rows,
    open_position_rows,
    run_metrics_row,
    trade_rows,
)
from projector.analytics.stored import open_position_of, trade_of
from projector.metrics import EquityCurve, MetricsInputs, OrderFact, RunFacts, report_reconstruction
from projector.metrics.equity import CurveWalk, bar_closes
from projector.trades import (
    Bar,
    Fill,
    Reconstruction,
    Trade,
    TradeContext,
    build_context,
    extend,
)
from projector.writes import Row

LinkKey = tuple[str, str]  # (oco_group_id, order_id)


@dataclass(slots=True)
class StoredCurve:
    """The equity curve's columns as its rows read back (what aggregates sum)."""

    times: list[datetime] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    drawdown: list[float] = field(default_factory=list)
    drawdown_pct: list[float | None] = field(default_factory=list)

    def keep(self, count: int) -> None:
        for column in (self.times, self.equity, self.drawdown, self.drawdown_pct):
            del column[count:]

    def add(self, points: Iterable[Row]) -> None:
        for point in points:
            self.times.append(point["ts_utc"])
            self.equity.append(_number(point["equity"]))
            self.drawdown.append(_number(point["drawdown"]))
            self.drawdown_pct.append(point["drawdown_pct"])


def _number(value: float | None) -> float:
    return float("nan") if value is None else value


@dataclass(slots=True)
class RunAnalysis:
    """One run's analysis, and what the next pass carries on from (see the module docstring).
    Not shared: a pass takes it over (the stage's cache hands it out once)."""

    run_id: str
    position: int  # the partition's position when its rows were read
    run: Row | None
    orders: dict[str, Row]
    executions: dict[str, Row]
    links: dict[LinkKey, Row]
    series: dict[str, Row]
    chosen: dict[str, str]  # symbol -> the series id its bars come from
    bars: dict[str, list[Bar]]  # chosen series id -> its bars in time order
    instruments: list[Row]
    fills: dict[str, Fill]  # execution id -> its fill as last given to reconstruction
    context: TradeContext
    reconstruction: Reconstruction
    walk: CurveWalk
    order_facts: Sequence[OrderFact] = ()
    metrics: Row = field(default_factory=dict)  # the run_metrics row
    stored_trades: dict[str, Trade] = field(default_factory=dict)  # as their rows read back
    stored_curve: StoredCurve = field(default_factory=StoredCurve)
    open_positions: list[Row] = field(default_factory=list)
    flags: list[Row] = field(default_factory=list)
    start: datetime | None = None  # the curve's first point: the balance at the run's start

    def size(self) -> int:
        """About how many rows and points it holds (what a cache of analyses counts)."""
        bars = sum(len(series) for series in self.bars.values())
        rows = len(self.orders) + len(self.executions) + len(self.stored_trades)
        return 1 + bars + rows + len(self.stored_curve.times)

    def member_inputs(self) -> MetricsInputs:
        """What aggregation reads of this run, as its rows read back would give it."""
        metrics, curve = self.metrics, self.stored_curve
        start, end = metrics["span_start_utc"], metrics["span_end_utc"]
        return MetricsInputs(
            trades=tuple(self.stored_trades[t.trade_id] for t in self.reconstruction.trades),
            open_positions=tuple(open_position_of(row) for row in self.open_positions),
            equity=EquityCurve(
                initial=metrics["initial_balance"] or 0.0,
                start_utc=metrics["start_utc"],
                times=tuple(curve.times),
                equity=tuple(curve.equity),
                drawdown=tuple(curve.drawdown),
                drawdown_pct=tuple(curve.drawdown_pct),
            ),
            span=(start, end) if start is not None and end is not None else None,
            fills=self.reconstruction.fills,
            orders=tuple(self.order_facts),
            periods_per_year=metrics["periods_per_year"],
        )


@dataclass(frozen=True, slots=True)
class Pass:
    """What a pass writes. From scratch, `trades`, `matches` and `equity` are all the run's
    rows of those tables; carried on, `trades` and `matches` are added to the stored ones
    and `equity` replaces the points from `equity_from` on. The run's open positions and
    flags (in `analysis`) are rewritten whole when they changed, its metrics always."""

    analysis: RunAnalysis
    from_scratch: bool
    trades: list[Row]
    matches: list[Row]
    equity: list[Row]
    equity_from: int
    equity_dropped: bool = True  # some stored points from `equity_from` on must go
    open_positions_changed: bool = True
    flags_changed: bool = True


def analyze(rows: RunRows, strategy_id: str | None, position: int) -> Pass:
    """A run analyzed from all its rows (`rows.run` is known)."""
    inputs, facts = run_inputs_of(rows)
    context = build_context(inputs.run_id, inputs.multipliers, inputs.oco_roles, inputs.bars)
    reconstruction = extend(Reconstruction(inputs.run_id), inputs.fills, context)
    walk = CurveWalk(facts.initial_balance or 0.0)
    walk.walk(reconstruction.changes, bar_closes(context.bars))
    analysis = RunAnalysis(
        run_id=rows.run_id,
        position=position,
        run=rows.run,
        orders={row["order_id"]: row for row in rows.orders},
        executions={row["execution_id"]: row for row in rows.executions},
        links={(row["oco_group_id"], row["order_id"]): row for row in rows.oco_links},
        series={row["series_id"]: row for row in rows.series},
        chosen=finest_series(rows.series),
        bars={series_id: list(bars) for series_id, bars in rows.bars.items()},
        instruments=list(rows.instruments),
        fills={fill.execution_id: fill for fill in inputs.fills},
        context=context,
        reconstruction=reconstruction,
        walk=walk,
    )
    trades, equity, _ = finish(analysis, facts, strategy_id, reconstruction.trades, 0)
    matches = match_rows(rows.run_id, reconstruction.matches)
    return Pass(analysis, True, trades, matches, equity, 0)


def rows_of(a: RunAnalysis) -> RunRows:
    return RunRows(
        run_id=a.run_id,
        run=a.run,
        orders=list(a.orders.values()),
        executions=list(a.executions.values()),
        oco_links=list(a.links.values()),
        series=list(a.series.values()),
        bars=a.bars,
        instruments=a.instruments,
    )


def finish(
    a: RunAnalysis,
    facts: RunFacts,
    strategy_id: str | None,
    new_trades: Sequence[Trade],
    equity_from: int,
) -> tuple[list[Row], list[Row], int]:
    """The report, metrics and rows of the analysis as it stands: (the rows of `new_trades`,
    the equity points from the first one that changed, and its seq)."""
    reconstruction = a.reconstruction
    curve = a.walk.curve(reconstruction.changes, facts.start_utc)
    start = facts.start_utc if a.walk.opens_at(reconstruction.changes, facts.start_utc) else None
    if start != a.start:
        equity_from = 0  # the first point is another one, or the points moved by one
    a.start = start
    report = report_reconstruction(reconstruction, a.context, facts, curve)
    span = report.inputs.span
    rows = rows_of(a)
    a.order_facts = facts.orders
    a.metrics = run_metrics_row(
        {
            "run_id": a.run_id,
            "computed_position": computed_position_of(rows),
            "instance_id": (a.run or {}).get("instance_id"),
            "strategy_id": strategy_id,
            "initial_balance": curve.initial,
            "start_utc": curve.start_utc,
            "span_start_utc": span[0] if span else None,
            "span_end_utc": span[1] if span else None,
            "periods_per_year": report.inputs.periods_per_year,
        },
        report.metrics,
    )
    trades = trade_rows(new_trades)
    a.stored_trades.update((row["trade_id"], trade_of(row)) for row in trades)
    points = equity_rows(a.run_id, curve, equity_from)
    a.stored_curve.keep(equity_from)
    a.stored_curve.add(points)
    a.open_positions = open_position_rows(reconstruction.open_positions)
    a.flags = flag_rows(a.run_id, reconstruction.flags)
    return trades, points, equity_from
