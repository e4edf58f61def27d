"""A run's stored analytics rows -> the `MetricsInputs` that instance and strategy metrics
aggregate (pure).

The inverse of rows.py: trades, open positions and the equity curve come back from their
tables, the span, starting balance and periods per year from the run's `run_metrics` row,
the applied fills from `executions` (completed from `orders`, those in `trade_flags` left
out) and the order facts from `orders`. Because rows.py stores exactly what reads back, a run
measured from the rows just written and from the rows read later gives the same figures. A
NULL in a column the value types require (a figure that overflowed) reads back as NaN.
"""

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from projector.metrics import EquityCurve, MetricsInputs, OrderFact
from projector.trades import Direction, Fill, OpenPosition, Outcome, Trade
from projector.writes import Row

T = TypeVar("T", Trade, OpenPosition)


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One run's rows as aggregation reads them; `equity` in `seq` order."""

    metrics: Row
    trades: Sequence[Row]
    open_positions: Sequence[Row]
    equity: Sequence[Row]
    fills: Sequence[Fill]
    orders: Sequence[OrderFact]


def _required_floats(cls: type[Any]) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.type in (float, "float"))


_REQUIRED_FLOATS = {cls: _required_floats(cls) for cls in (Trade, OpenPosition)}


def _value_of(cls: type[T], row: Row) -> T:
    values: dict[str, Any] = {}
    required = _REQUIRED_FLOATS[cls]
    for f in dataclasses.fields(cls):
        value = row[f.name]
        values[f.name] = math.nan if value is None and f.name in required else value
    values["side"] = Direction(values["side"])
    if cls is Trade:
        values["outcome"] = Outcome(values["outcome"])
    return cls(**values)


def trade_of(row: Row) -> Trade:
    return _value_of(Trade, row)


def open_position_of(row: Row) -> OpenPosition:
    return _value_of(OpenPosition, row)


def equity_curve_of(metrics: Row, points: Sequence[Row]) -> EquityCurve:
    """The curve of `equity_points` rows (in `seq` order) and its run's `run_metrics` row."""
    return EquityCurve(
        initial=metrics["initial_balance"] or 0.0,
        start_utc=metrics["start_utc"],
        times=tuple(point["ts_utc"] for point in points),
        equity=tuple(_number(point["equity"]) for point in points),
        drawdown=tuple(_number(point["drawdown"]) for point in points),
        drawdown_pct=tuple(point["drawdown_pct"] for point in points),
    )


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def applied_fills(fills: Iterable[Fill], flagged: Iterable[str]) -> list[Fill]:
    """The fills reconstruction applied: every fill but the flagged ones, in fill order."""
    skipped = set(flagged)
    kept = [fill for fill in fills if fill.execution_id not in skipped]
    return sorted(kept, key=lambda fill: fill.sort_key)


def metrics_inputs_of(run: StoredRun) -> MetricsInputs:
    """What `aggregate_metrics` reads of one run."""
    row = run.metrics
    start, end = row["span_start_utc"], row["span_end_utc"]
    return MetricsInputs(
        trades=tuple(trade_of(trade) for trade in run.trades),
        open_positions=tuple(open_position_of(position) for position in run.open_positions),
        equity=equity_curve_of(row, run.equity),
        span=(start, end) if start is not None and end is not None else None,
        fills=tuple(run.fills),
        orders=tuple(run.orders),
        periods_per_year=row["periods_per_year"],
    )
