"""What trade reconstruction reads: fills and bars as plain frozen values, and the tolerances.

The runner builds these from table rows: a `Fill` from an `executions` row whose side,
symbol and account it completed from the order (a fill whose order is still unknown keeps
`side` or `symbol` None and is *held*: reported, not applied, until the order arrives and the
run is recomputed); a `Bar` from a `bars` row of one series per symbol. Every comparison of
quantities or money with zero goes through the tolerances here, so float sums such as
0.1 + 0.2 - 0.3 never leave a 5.6e-17 position open or turn a breakeven into a win. Floats
rather than decimals: the store keeps float64, and the error of a sum of n fills is about
n x 2.2e-16 of its size (2e-11 for 100k fills), far below the 1e-9 tolerances.
"""

from dataclasses import dataclass
from datetime import datetime

from schema.enums import Side

DUST_QUANTITY = 1e-9
"""A fill smaller than this (absolute units) is flagged DUST and not applied."""

FLAT_TOLERANCE = 1e-9
"""A position is flat when |position| <= FLAT_TOLERANCE x max(1, peak position)."""

BREAKEVEN_TOLERANCE = 1e-9
"""A trade is breakeven when |pnl_net| <= BREAKEVEN_TOLERANCE x max(1, entry notional)."""

NO_ACCOUNT = ""
"""The account of fills and orders that name none."""


def flat_tolerance(peak: float) -> float:
    return FLAT_TOLERANCE * max(1.0, peak)


def breakeven_tolerance(notional: float) -> float:
    return BREAKEVEN_TOLERANCE * max(1.0, abs(notional))


FillSortKey = tuple[datetime, int, str]
"""(exec_utc, log position, execution_id): the total order fills are applied in."""


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution, with side, symbol and account completed from its order when it lacks them.

    `position` is the log position of the execution's first version (the `executions` row's
    `position`), which breaks ties between fills of the same time; `quantity` is as sent, the
    reconstruction flags and skips zero, negative and dust quantities.
    """

    execution_id: str
    order_id: str
    exec_utc: datetime
    position: int
    quantity: float
    price: float
    side: Side | None = None
    symbol: str | None = None
    account_id: str | None = None
    fee: float = 0.0

    @property
    def sort_key(self) -> FillSortKey:
        return (self.exec_utc, self.position, self.execution_id)

    @property
    def is_held(self) -> bool:
        """Its order is unknown: nobody can say yet which position it moves."""
        return self.side is None or self.symbol is None


@dataclass(frozen=True, slots=True, order=True)
class PositionKey:
    """A position cycle's scope within a run: one account, one symbol."""

    account_id: str
    symbol: str

    @classmethod
    def of(cls, fill: Fill) -> "PositionKey":
        return cls(fill.account_id or NO_ACCOUNT, fill.symbol or "")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the series the runner chose for a symbol (the finest timeframe it has).

    `end_utc` may be missing: the bar then ends where the next one starts, and the last bar
    lasts as long as the one before it.
    """

    ts_utc: datetime
    open: float
    high: float
    low: float
    close: float
    end_utc: datetime | None = None
