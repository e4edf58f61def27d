"""Response models of the trade, open-position and equity routes.

Field meanings and units are those of docs/metrics.md: money in account currency with the
instrument multiplier applied, quantities absolute (the direction is `side`), times UTC. A
figure that could not be computed (or was not finite) is null.
"""

from datetime import datetime

from pydantic import BaseModel, Field


class TradeItem(BaseModel):
    """One closed trade: a position cycle from flat to flat, priced by average cost."""

    trade_id: str = Field(description="Stable: uuid5 of run, account, symbol and cycle.")
    run_id: str
    account_id: str
    symbol: str
    cycle: int
    side: str = Field(description="The position's direction: LONG or SHORT.")
    quantity: float | None = Field(description="Peak absolute position.")
    entered_quantity: float | None
    entry_price: float | None = Field(description="Average price of the opening fills.")
    exit_price: float | None = Field(description="Average price of the closing fills.")
    entry_utc: datetime
    exit_utc: datetime
    duration_seconds: float | None
    pnl_gross: float | None
    commission: float | None
    pnl_net: float | None = Field(description="After fees.")
    trade_return: float | None
    outcome: str = Field(description="WIN, LOSS or BREAKEVEN.")
    multiplier: float | None
    entry_order_id: str
    exit_order_id: str
    exit_execution_id: str
    exit_position: int
    exit_reason: str | None = Field(description="TP, SL or EXIT: the closing order's role.")
    fill_count: int
    mfe: float | None
    mae: float | None
    regime_trend: str | None
    regime_volatility: str | None


class DashboardTradeItem(TradeItem):
    """A trade as the existing dashboards read it: also `entry_time` and `exit_time`."""

    entry_time: datetime = Field(description="= entry_utc.")
    exit_time: datetime = Field(description="= exit_utc.")


class TradePage(BaseModel):
    """Trades by exit time, then trade id; pass `next_cursor` back for the next page."""

    items: list[TradeItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class DashboardTradePage(BaseModel):
    """`TradePage` with the dashboards' field names."""

    items: list[DashboardTradeItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class LotMatchItem(BaseModel):
    """Part of an opening fill matched first-in first-out with part of a closing fill."""

    match_number: int
    entry_execution_id: str
    exit_execution_id: str
    quantity: float | None
    entry_price: float | None
    exit_price: float | None
    entry_utc: datetime
    exit_utc: datetime
    pnl_gross: float | None
    fees: float | None = Field(description="Each fill's fee shared among its matches.")
    pnl_net: float | None


class LotMatchPage(BaseModel):
    """A trade's FIFO view; the matches' nets add up to the trade's net."""

    run_id: str
    trade_id: str
    items: list[LotMatchItem]
    next_cursor: str | None


class OpenPositionItem(BaseModel):
    """A position still open after the run's last fill, marked at its last bar close."""

    trade_id: str = Field(description="The id of the trade it will become when closed.")
    account_id: str
    symbol: str
    cycle: int
    side: str
    quantity: float | None
    peak_quantity: float | None
    average_cost: float | None
    entry_price: float | None
    entry_utc: datetime
    realized_pnl: float | None = Field(description="Gross PnL of its partial closes so far.")
    commission: float | None
    multiplier: float | None
    mark_price: float | None = Field(description="Null when the symbol has no bars.")
    mark_utc: datetime | None
    unrealized_pnl: float | None
    pnl_net: float | None = Field(description="realized - commission + unrealized.")


class OpenPositions(BaseModel):
    """A run's open positions, by account and symbol."""

    run_id: str
    items: list[OpenPositionItem]


class EquityPoint(BaseModel):
    """The marked-to-market equity at one sample and its drawdown from the peak so far."""

    seq: int
    ts_utc: datetime
    equity: float | None
    drawdown: float | None = Field(description="Peak so far - equity, in currency.")
    drawdown_pct: float | None = Field(description="drawdown / peak; null while peak <= 0.")


class EquityPage(BaseModel):
    """A run's equity curve in time order (starting balance: `initial_balance`)."""

    run_id: str
    initial_balance: float | None = Field(description="Null until metrics are computed.")
    start_utc: datetime | None
    items: list[EquityPoint]
    next_cursor: str | None
