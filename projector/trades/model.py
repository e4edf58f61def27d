"""What trade reconstruction produces: closed trades, FIFO lot matches, open positions, the
position ledger the equity curve is built from, and data-quality flags.

All money is in account currency with the instrument multiplier applied; quantities are
absolute (the direction is `side`). A trade and the open position it grows out of share one
id, derived from (run, account, symbol, cycle number), so every rebuild gives the same ids.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from schema.ids import stable_uuid


class Direction(StrEnum):
    """The position's direction, which is a trade's side."""

    LONG = "LONG"
    SHORT = "SHORT"


class Outcome(StrEnum):
    WIN = "WIN"
    LOSS = "LOSS"
    BREAKEVEN = "BREAKEVEN"


class FlagKind(StrEnum):
    """Why a fill was not applied."""

    HELD = "HELD"  # its order (side, symbol) is not known yet
    ZERO_QUANTITY = "ZERO_QUANTITY"
    NEGATIVE_QUANTITY = "NEGATIVE_QUANTITY"
    DUST = "DUST"  # 0 < quantity < DUST_QUANTITY


def trade_id_of(run_id: str, account_id: str, symbol: str, cycle: int) -> str:
    return stable_uuid("trade", run_id, account_id, symbol, str(cycle))


@dataclass(frozen=True, slots=True)
class Trade:
    """One position cycle, flat to flat, priced by average cost.

    `quantity` is the peak absolute position, `entered_quantity` the sum of all opening
    quantities; prices are volume-weighted averages of the opening and closing fills.
    `trade_return` = pnl_net / (|entry_price| x quantity x multiplier). `mfe`/`mae` are the
    most favourable/adverse excursions in currency (>= 0), None without bars for the symbol.
    """

    trade_id: str
    run_id: str
    account_id: str
    symbol: str
    cycle: int
    side: Direction
    quantity: float
    entered_quantity: float
    entry_price: float
    exit_price: float
    entry_utc: datetime
    exit_utc: datetime
    duration_seconds: float
    pnl_gross: float
    commission: float
    pnl_net: float
    trade_return: float | None
    outcome: Outcome
    multiplier: float
    entry_order_id: str
    exit_order_id: str
    exit_execution_id: str
    exit_position: int
    exit_reason: str | None
    fill_count: int
    mfe: float | None
    mae: float | None
    regime_trend: str | None
    regime_volatility: str | None


@dataclass(frozen=True, slots=True)
class LotMatch:
    """A FIFO pairing of part of an opening fill with part of a closing fill of one trade.

    Each fill's fee is shared among its matches by quantity, its last match taking the
    remainder, so the fees of a trade's matches add up to its commission.
    """

    trade_id: str
    match_number: int
    entry_execution_id: str
    exit_execution_id: str
    quantity: float
    entry_price: float
    exit_price: float
    entry_utc: datetime
    exit_utc: datetime
    pnl_gross: float
    fees: float
    pnl_net: float


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A cycle still open after the last fill, marked at the symbol's last bar close.

    `realized_pnl` is the gross PnL of its partial closes so far, `commission` every fee of
    the cycle so far; `unrealized_pnl` is None when the symbol has no bars.
    """

    trade_id: str
    run_id: str
    account_id: str
    symbol: str
    cycle: int
    side: Direction
    quantity: float
    peak_quantity: float
    average_cost: float
    entry_price: float
    entry_utc: datetime
    realized_pnl: float
    commission: float
    multiplier: float
    mark_price: float | None
    mark_utc: datetime | None
    unrealized_pnl: float | None

    @property
    def pnl_net(self) -> float:
        """Everything the cycle made so far: realized - fees + unrealized (0 when unmarked)."""
        return self.realized_pnl - self.commission + (self.unrealized_pnl or 0.0)


@dataclass(frozen=True, slots=True)
class PositionChange:
    """A key's position after one applied fill: the ledger the equity curve is built from.

    `net_quantity` is signed, `average_cost` 0 when flat; `cash_pnl` is the gross PnL the
    fill realized minus its whole fee. Ordered like the fills (time, log position, id).
    """

    exec_utc: datetime
    log_position: int
    execution_id: str
    account_id: str
    symbol: str
    net_quantity: float
    average_cost: float
    cash_pnl: float
    multiplier: float

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        return (self.exec_utc, self.log_position, self.execution_id)


@dataclass(frozen=True, slots=True)
class QualityFlag:
    """A fill the reconstruction did not apply, and why."""

    kind: FlagKind
    execution_id: str
    order_id: str
    exec_utc: datetime
    quantity: float
