"""The run-wide facts a reconstruction step consults besides the fill itself.

Built once per run (or per batch) by the runner: the instrument multiplier of each symbol
(1 when the run has no definition), the OCO role of each order that has one (the role of
the order that closes a trade gives its exit reason) and each symbol's bars, indexed. The
runner picks one role per order when an order is linked twice (TP and SL before EXIT and
ENTRY) and one bar series per symbol (the finest timeframe).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from projector.trades.bars import BarIndex, index_bars
from projector.trades.inputs import Bar
from schema.enums import OcoRole

DEFAULT_MULTIPLIER = 1.0
EXIT_REASON_ROLES = frozenset({OcoRole.TP, OcoRole.SL, OcoRole.EXIT})


@dataclass(frozen=True, slots=True)
class TradeContext:
    run_id: str
    multipliers: Mapping[str, float] = field(default_factory=dict)
    oco_roles: Mapping[str, OcoRole] = field(default_factory=dict)
    bars: Mapping[str, BarIndex] = field(default_factory=dict)

    def multiplier(self, symbol: str) -> float:
        value = self.multipliers.get(symbol)
        # The schema refuses non-positive multipliers; a row from elsewhere falls back to 1.
        return value if value is not None and value > 0 else DEFAULT_MULTIPLIER

    def exit_reason(self, order_id: str) -> str | None:
        """TP, SL or EXIT when the closing order had that role; None for ENTRY or no link."""
        role = self.oco_roles.get(order_id)
        return role.value if role in EXIT_REASON_ROLES else None


def build_context(
    run_id: str,
    multipliers: Mapping[str, float] | None = None,
    oco_roles: Mapping[str, OcoRole] | None = None,
    bars: Mapping[str, Sequence[Bar]] | None = None,
) -> TradeContext:
    """A context with each symbol's bars indexed (the only costly part, done once)."""
    return TradeContext(
        run_id=run_id,
        multipliers=dict(multipliers or {}),
        oco_roles=dict(oco_roles or {}),
        bars={symbol: index_bars(series) for symbol, series in (bars or {}).items()},
    )
