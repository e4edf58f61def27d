"""Reconstruction of a run's trades from its fills, whole or continued from where it stopped.

`reconstruct` folds `step` over every (account, symbol) key's fills in (exec_utc, log
position, execution_id) order, a total order, so the result does not depend on the order
the fills are given in. `extend` continues a previous result with fills that sort after the
last fill of their key, and gives exactly what one `reconstruct` of all the fills gives; a
fill sorting earlier raises `OutOfOrderFillError` and the runner recomputes the run. Every
output is sorted canonically, so equal inputs give equal values, field for field.
"""

import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from projector.trades.closing import open_position
from projector.trades.context import TradeContext, build_context
from projector.trades.cycle import quality_flag, step
from projector.trades.errors import DuplicateExecutionError, OutOfOrderFillError
from projector.trades.inputs import Bar, Fill, FillSortKey, PositionKey
from projector.trades.model import (
    LotMatch,
    OpenPosition,
    PositionChange,
    QualityFlag,
    Trade,
)
from projector.trades.state import PositionState
from schema.enums import OcoRole

T = TypeVar("T", Fill, PositionChange)


@dataclass(frozen=True, slots=True)
class RunInputs:
    """Everything one run's reconstruction reads; see `Fill`, `Bar` and `TradeContext`."""

    run_id: str
    fills: Sequence[Fill]
    multipliers: Mapping[str, float] = field(default_factory=dict)
    oco_roles: Mapping[str, OcoRole] = field(default_factory=dict)
    bars: Mapping[str, Sequence[Bar]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reconstruction:
    """A run's trades (by exit), their FIFO matches, open positions (by key), the position
    ledger and the applied fills (in fill order), the flags, and each key's state."""

    run_id: str
    trades: tuple[Trade, ...] = ()
    matches: tuple[LotMatch, ...] = ()
    open_positions: tuple[OpenPosition, ...] = ()
    changes: tuple[PositionChange, ...] = ()
    fills: tuple[Fill, ...] = ()
    flags: tuple[QualityFlag, ...] = ()
    states: Mapping[PositionKey, PositionState] = field(default_factory=dict)


def reconstruct(inputs: RunInputs) -> Reconstruction:
    """The whole run from scratch."""
    context = build_context(inputs.run_id, inputs.multipliers, inputs.oco_roles, inputs.bars)
    return extend(Reconstruction(inputs.run_id), inputs.fills, context)


def _check_unique(fills: Sequence[Fill]) -> None:
    counts = Counter(fill.execution_id for fill in fills)
    repeated = sorted(execution_id for execution_id, count in counts.items() if count > 1)
    if repeated:
        raise DuplicateExecutionError(repeated)


def _by_fill(item: Fill | PositionChange) -> FillSortKey:
    return item.sort_key


def _by_exit(trade: Trade) -> FillSortKey:
    return (trade.exit_utc, trade.exit_position, trade.exit_execution_id)


def _by_flag(flag: QualityFlag) -> tuple[datetime, str, str]:
    return (flag.exec_utc, flag.execution_id, flag.kind)


def _merged(earlier: Sequence[T], later: list[T]) -> tuple[T, ...]:
    """Two runs sorted by fill order as one (linear; the earlier run is often empty)."""
    if not earlier:
        return tuple(later)
    return tuple(heapq.merge(earlier, later, key=_by_fill))


def extend(
    previous: Reconstruction, fills: Sequence[Fill], context: TradeContext
) -> Reconstruction:
    """`previous` continued with `fills`, each of which must sort after its key's last fill."""
    _check_unique(fills)
    ordered = sorted(fills, key=_by_fill)  # once: each key's fills and the ledger follow it
    flags = list(previous.flags)
    by_key: defaultdict[PositionKey, list[Fill]] = defaultdict(list)
    for fill in ordered:
        held = quality_flag(fill) if fill.is_held else None
        if held is not None:
            flags.append(held)
        else:
            by_key[PositionKey.of(fill)].append(fill)
    states = dict(previous.states)
    trades, matches = list(previous.trades), list(previous.matches)
    changes: dict[str, PositionChange] = {}
    for key in sorted(by_key):
        state = states.get(key) or PositionState(key)
        if not state.accepts(by_key[key][0]):  # the rest sort after the first
            raise OutOfOrderFillError(by_key[key][0].execution_id)
        for fill in by_key[key]:
            result = step(state, fill, context)
            state = result.state
            trades.extend(result.trades)
            matches.extend(result.matches)
            if result.change is not None:
                changes[fill.execution_id] = result.change
            if result.flag is not None:
                flags.append(result.flag)
        states[key] = state
    applied = [fill for fill in ordered if fill.execution_id in changes]
    # A fill held before (its order unknown) and applied now is no longer flagged.
    # A fill given twice while held is flagged once.
    unique = {(f.execution_id, f.kind): f for f in flags if f.execution_id not in changes}
    trades.sort(key=_by_exit)
    rank = {trade.trade_id: index for index, trade in enumerate(trades)}
    return Reconstruction(
        run_id=previous.run_id,
        trades=tuple(trades),
        matches=tuple(sorted(matches, key=lambda m: (rank[m.trade_id], m.match_number))),
        open_positions=tuple(
            open_position(state, context)
            for key, state in sorted(states.items())
            if state.position != 0.0
        ),
        changes=_merged(previous.changes, [changes[fill.execution_id] for fill in applied]),
        fills=_merged(previous.fills, applied),
        flags=tuple(sorted(unique.values(), key=_by_flag)),
        states=states,
    )
