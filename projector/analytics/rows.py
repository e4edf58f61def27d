"""A run's report -> the rows of the analytics tables (pure), and the canonical metrics JSON.

Every value bound for a Float column goes through `stored_float`: NaN and infinity become
NULL (a ratio that cannot be computed is null, never NaN, docs/metrics.md), -0.0 becomes 0.0
and integers become floats, so a row holds exactly what reading it back gives (SQLite keeps
neither the sign of zero nor the int/float distinction of a REAL column). That is what lets
aggregates use a run's fresh rows and another run's stored rows interchangeably. The metrics
JSON is orjson with sorted keys, its floats canonicalised the same way.
"""

import dataclasses
import math
from collections.abc import Iterable, Mapping
from enum import Enum
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Float, Table

from projector.metrics import EquityCurve, RunMetrics
from projector.trades import LotMatch, OpenPosition, QualityFlag, Trade
from projector.writes import Row
from schema.tables.projections import (
    PROJECTION_METADATA,
    open_positions,
    run_metrics,
    trade_flags,
    trade_lot_matches,
    trades,
)

# table -> (column name, is a Float column), in column order
_COLUMNS: Mapping[str, tuple[tuple[str, bool], ...]] = {
    name: tuple((c.name, isinstance(c.type, Float)) for c in table.c)
    for name, table in PROJECTION_METADATA.tables.items()
}


def stored_float(value: float | None) -> float | None:
    """`value` as a Float column keeps it: None for NaN/inf, 0.0 for -0.0, always a float."""
    if value is None or not math.isfinite(value):
        return None
    return float(value) + 0.0  # -0.0 + 0.0 == +0.0


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def table_row(table: Table, values: Mapping[str, Any]) -> Row:
    """The row of `table` holding `values` (its columns only), floats made storable."""
    return {
        name: stored_float(values[name]) if is_float else _plain(values[name])
        for name, is_float in _COLUMNS[table.name]
    }


_FIELD_NAMES = {
    cls: tuple(f.name for f in dataclasses.fields(cls))
    for cls in (Trade, LotMatch, OpenPosition, QualityFlag)
}


def _fields(item: Trade | LotMatch | OpenPosition | QualityFlag) -> dict[str, Any]:
    return {name: getattr(item, name) for name in _FIELD_NAMES[type(item)]}


def trade_rows(items: Iterable[Trade]) -> list[Row]:
    return [table_row(trades, _fields(trade)) for trade in items]


def match_rows(run_id: str, items: Iterable[LotMatch]) -> list[Row]:
    return [table_row(trade_lot_matches, {**_fields(m), "run_id": run_id}) for m in items]


def open_position_rows(items: Iterable[OpenPosition]) -> list[Row]:
    return [table_row(open_positions, {**_fields(p), "pnl_net": p.pnl_net}) for p in items]


def equity_rows(run_id: str, curve: EquityCurve, first: int = 0) -> list[Row]:
    """The curve's points from its point `first` on."""
    # Written out rather than through table_row: a long run has a point per bar close.
    columns = zip(curve.times, curve.equity, curve.drawdown, curve.drawdown_pct, strict=True)
    return [
        {
            "run_id": run_id,
            "seq": seq,
            "ts_utc": ts,
            "equity": stored_float(equity),
            "drawdown": stored_float(drawdown),
            "drawdown_pct": stored_float(pct),
        }
        for seq, (ts, equity, drawdown, pct) in enumerate(islice(columns, first, None), first)
    ]


def flag_rows(run_id: str, items: Iterable[QualityFlag]) -> list[Row]:
    return [table_row(trade_flags, {**_fields(flag), "run_id": run_id}) for flag in items]


def _canonical(value: Any) -> Any:
    """JSON-ready: dicts and sequences walked, floats made storable, enums as their value."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, float):
        return stored_float(value)
    return _plain(value)


def metrics_json(metrics: RunMetrics) -> str:
    """Every metric as canonical JSON text (sorted keys; null for what is not finite)."""
    document = _canonical(dataclasses.asdict(metrics))
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode()


def metric_columns(metrics: RunMetrics) -> dict[str, Any]:
    """The scalar columns a dashboard sorts and filters by, and the full JSON."""
    closed, returns = metrics.trades, metrics.returns
    return {
        "net_pnl": closed.net_pnl,
        "gross_pnl": closed.gross_pnl,
        "fees": closed.fees,
        "total_pnl": metrics.total_pnl,
        "open_pnl": metrics.open_pnl,
        "open_positions": metrics.open_positions,
        "trades": closed.trades,
        "wins": closed.wins,
        "losses": closed.losses,
        "breakevens": closed.breakevens,
        "win_rate": closed.win_rate,
        "profit_factor": closed.profit_factor,
        "max_drawdown": returns.max_drawdown,
        "max_drawdown_pct": returns.max_drawdown_pct,
        "sharpe": returns.sharpe,
        "sortino": returns.sortino,
        "exposure": metrics.exposure,
        "metrics_json": metrics_json(metrics),
    }


def run_metrics_row(values: Mapping[str, Any], metrics: RunMetrics) -> Row:
    """A `run_metrics` row: `values` holds the identity, membership and curve columns."""
    return table_row(run_metrics, {**values, **metric_columns(metrics)})
