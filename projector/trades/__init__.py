"""Trade reconstruction: position cycles from a run's fills, pure and deterministic (§5.1).

The runner builds `Fill`s and `Bar`s from table rows and calls `reconstruct(RunInputs(...))`
for a whole run, or keeps the `Reconstruction` and calls `extend(previous, new_fills,
build_context(...))` when the new fills sort after the ones applied. `step` is the core.
"""

from projector.trades.context import TradeContext, build_context
from projector.trades.cycle import StepResult, step
from projector.trades.errors import (
    DuplicateExecutionError,
    OutOfOrderFillError,
    TradeInputError,
)
from projector.trades.inputs import Bar, Fill, PositionKey
from projector.trades.model import (
    Direction,
    FlagKind,
    LotMatch,
    OpenPosition,
    Outcome,
    PositionChange,
    QualityFlag,
    Trade,
)
from projector.trades.reconstruct import Reconstruction, RunInputs, extend, reconstruct
from projector.trades.state import PositionState

__all__ = [
    "Bar",
    "Direction",
    "DuplicateExecutionError",
    "Fill",
    "FlagKind",
    "LotMatch",
    "OpenPosition",
    "OutOfOrderFillError",
    "Outcome",
    "PositionChange",
    "PositionKey",
    "PositionState",
    "QualityFlag",
    "Reconstruction",
    "RunInputs",
    "StepResult",
    "Trade",
    "TradeContext",
    "TradeInputError",
    "build_context",
    "extend",
    "reconstruct",
    "step",
]
