"""Carrying a run's analysis on with the rows changed since its last pass (pure).

`advance(analysis, delta)` applies a `RunDelta`. When the changes only add to the run's end
(new fills sorting after their position's last one, new bars after their series' last one and
after every closed trade of their symbol, OCO roles for orders that closed no trade, the same
instruments, balance and series), it extends the bar indexes, the reconstruction and the
equity curve's walk, and says which rows to add; otherwise it returns None and the stage
analyzes the run from scratch. Either way the rows are exactly those `analyze` makes from all
the rows (tests/unit/test_run_analysis.py cuts sessions anywhere to check it), and a live
run's pass costs what changed plus its metrics (which read the whole run), instead of
reading, recomputing and rewriting the whole run.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from projector.analytics.inputs import (
    fill_of,
    finest_series,
    multipliers_of,
    oco_roles_of,
    run_facts_of,
    run_instruments,
)
from projector.analytics.rows import match_rows
from projector.analytics.run_analysis import Pass, RunAnalysis, finish, rows_of
from projector.metrics.equity import CurveWalk, bar_closes
from projector.trades import (
    Bar,
    Fill,
    OutOfOrderFillError,
    Reconstruction,
    Trade,
    TradeContext,
    extend,
)
from projector.trades.bars import BarIndex, extend_index, index_bars
from projector.writes import Row


@dataclass(frozen=True, slots=True)
class RunDelta:
    """A run's rows changed since a position: those of `orders`, `executions`,
    `order_oco_links` and `run_series` with a later `last_position`, the later bars of the
    series asked for (in time order), and the run row and the instrument rows of its traded
    symbols as they are now."""

    run: Row | None
    orders: Sequence[Row] = ()
    executions: Sequence[Row] = ()
    oco_links: Sequence[Row] = ()
    series: Sequence[Row] = ()
    bars: Mapping[str, Sequence[Bar]] = field(default_factory=dict)
    instruments: Sequence[Row] = ()


def advance(
    analysis: RunAnalysis, delta: RunDelta, strategy_id: str | None, position: int
) -> Pass | None:
    """`analysis` carried on with `delta`, or None when the run must be analyzed from
    scratch (see the module docstring). `analysis` is consumed either way."""
    a = analysis
    if (delta.run or {}).get("initial_balance") != (a.run or {}).get("initial_balance"):
        return None  # every point of the curve moves
    a.run = delta.run
    a.orders.update((row["order_id"], row) for row in delta.orders)
    a.executions.update((row["execution_id"], row) for row in delta.executions)
    a.links.update(((row["oco_group_id"], row["order_id"]), row) for row in delta.oco_links)
    a.series.update((row["series_id"], row) for row in delta.series)
    a.instruments = list(delta.instruments)
    if finest_series(a.series.values()) != a.chosen:
        return None
    rows = rows_of(a)
    instruments = run_instruments(rows)
    multipliers, roles = multipliers_of(instruments), oco_roles_of(rows.oco_links)
    previous = a.reconstruction
    if _moved(a.context.multipliers, multipliers) & {key.symbol for key in previous.states}:
        return None  # a symbol with fills got another multiplier
    if _moved(a.context.oco_roles, roles) & {trade.exit_order_id for trade in previous.trades}:
        return None  # a closed trade's exit reason changes
    indexes = _extended_bars(a, delta, previous.trades)
    if indexes is None:
        return None
    fills = _new_fills(a, delta)
    if fills is None:
        return None
    context = TradeContext(a.run_id, multipliers, roles, indexes)
    try:
        reconstruction = extend(previous, fills, context)
    except OutOfOrderFillError:
        return None
    counts = {symbol: len(index) for symbol, index in a.context.bars.items()}
    closes = list(bar_closes(indexes, counts))
    if not _walk_continues(a.walk, previous, reconstruction, closes):
        return None
    stable = len(a.walk.times)
    a.walk.walk(reconstruction.changes, closes)
    a.context, a.reconstruction, a.position = context, reconstruction, position
    a.fills.update((fill.execution_id, fill) for fill in fills)
    for series_id, bars in delta.bars.items():
        a.bars.setdefault(series_id, []).extend(bars)
    known = a.stored_trades.keys()
    new_trades = [trade for trade in reconstruction.trades if trade.trade_id not in known]
    equity_from = (1 if a.start is not None else 0) + stable
    facts = run_facts_of(rows, instruments)
    points, open_positions, flags = len(a.stored_curve.times), a.open_positions, a.flags
    trades, equity, equity_from = finish(a, facts, strategy_id, new_trades, equity_from)
    new_ids = {trade.trade_id for trade in new_trades}
    matches = [m for m in reconstruction.matches if m.trade_id in new_ids]
    return Pass(
        a,
        False,
        trades,
        match_rows(a.run_id, matches),
        equity,
        equity_from,
        equity_dropped=points > equity_from,
        open_positions_changed=a.open_positions != open_positions,
        flags_changed=a.flags != flags,
    )


def _moved(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """The keys whose value differs (a missing key counts as a value)."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _extended_bars(
    a: RunAnalysis, delta: RunDelta, trades: Sequence[Trade]
) -> dict[str, BarIndex] | None:
    """Each chosen series' index with its new bars, or None if they are not all after the
    series' last bar and after every closed trade of their symbol (whose excursions and
    regime read the bars up to its exit)."""
    last_exit: dict[str, datetime] = {}
    for trade in trades:
        last_exit[trade.symbol] = max(trade.exit_utc, last_exit.get(trade.symbol, trade.exit_utc))
    indexes = dict(a.context.bars)
    for symbol, series_id in a.chosen.items():
        newer = delta.bars.get(series_id)
        if not newer:
            continue
        index, indexed = indexes.get(symbol), a.bars.get(series_id, [])
        if index is None:  # the series had no bars yet
            extended: BarIndex | None = index_bars([*indexed, *newer])
        else:
            extended = extend_index(index, indexed, newer)
        if extended is None:
            return None
        exit_utc = last_exit.get(symbol)
        if exit_utc is not None and extended.ends[len(indexed)] <= exit_utc:
            return None
        indexes[symbol] = extended
    return indexes


def _new_fills(a: RunAnalysis, delta: RunDelta) -> list[Fill] | None:
    """The fills to give reconstruction: new executions', and held fills whose order now
    completes them; None when a fill it already applied (or flagged) would change."""
    changed = {row["execution_id"] for row in delta.executions}
    orders = {row["order_id"] for row in delta.orders}
    if orders:
        changed |= {e for e, row in a.executions.items() if row["order_id"] in orders}
    fills = []
    for execution_id in sorted(changed):
        row = a.executions[execution_id]
        fill = fill_of(row, a.orders.get(row["order_id"]))
        before = a.fills.get(execution_id)
        if fill == before:
            continue
        if before is not None and not (before.is_held and not fill.is_held):
            return None
        fills.append(fill)
    return fills


def _walk_continues(
    walk: CurveWalk,
    previous: Reconstruction,
    reconstruction: Reconstruction,
    closes: Sequence[tuple[datetime, str, float]],
) -> bool:
    """Whether the walk can go on: every new position change after its last sample, every
    new bar close at or after its open time (at that time, only for symbols it has marked:
    the order symbols are first seen in is the order their values are summed in)."""
    last = walk.times[-1] if walk.times else None
    if last is not None:
        known = {change.execution_id for change in previous.changes}
        for change in reconstruction.changes:
            if change.execution_id not in known and change.exec_utc <= last:
                return False
    if closes and walk.pending is not None:
        for end, symbol, _ in closes:
            if end > walk.pending:
                break
            if end < walk.pending or symbol not in walk.book.marks:
                return False
    return True
