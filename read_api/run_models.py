"""Response models of the run read routes (read_api/routes/runs.py): runs, orders and their
history, executions, OCO groups with their legs, bars and their downsampled candles, each
with its page wrapper."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, Json, JsonValue


class RunItem(BaseModel):
    """A strategy run as its events described it."""

    run_id: str
    instance_id: str | None
    strategy_id: str | None = Field(description="The run's, or else its instance's.")
    run_type: str | None = Field(description="BACKTEST, PAPER or LIVE.")
    status: str | None
    start_utc: datetime | None
    end_utc: datetime | None
    end_reason: str | None
    last_heartbeat_utc: datetime | None
    last_event_utc: datetime | None
    engine_version: str | None
    data_source: str | None
    data_range_json: Json[JsonValue] | None
    initial_balance: float | None
    base_currency: str | None
    periods_per_year: float | None
    parameters_json: Json[JsonValue] | None
    metrics_json: Json[JsonValue] | None = Field(description="Metrics the exporter reported.")
    event_count: int
    placeholder: bool = Field(description="Events seen, run.started not yet.")


class RunPage(BaseModel):
    """Runs in the order asked; pass `next_cursor` back for the next page."""

    items: list[RunItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class HeadlineMetrics(BaseModel):
    """The projector's headline figures of a run (docs/metrics.md)."""

    net_pnl: float | None
    gross_pnl: float | None
    fees: float | None
    total_pnl: float | None
    open_pnl: float | None
    open_positions: int
    trades: int
    wins: int
    losses: int
    breakevens: int
    win_rate: float | None
    profit_factor: float | None
    max_drawdown: float | None
    max_drawdown_pct: float | None
    sharpe: float | None
    sortino: float | None
    exposure: float | None


class RunDetail(RunItem):
    """A run and its headline metrics (null until the projector computed them)."""

    metrics: HeadlineMetrics | None


class OrderItem(BaseModel):
    """An order's current state, with its fills summed."""

    run_id: str
    order_id: str
    strategy_id: str | None
    parent_order_id: str | None
    symbol: str | None
    account_id: str | None
    side: str | None
    order_type: str | None
    time_in_force: str | None
    quantity: float | None
    price: float | None
    stop_price: float | None
    status: str
    submit_utc: datetime | None
    last_update_utc: datetime | None
    client_tag: str | None
    position_impact: str | None
    reject_reason: str | None
    cancel_reason: str | None
    extra_json: Json[JsonValue] | None
    filled_quantity: float
    fill_notional: float
    avg_fill_price: float | None
    fees: float
    fill_count: int
    first_fill_utc: datetime | None
    last_fill_utc: datetime | None
    placeholder: bool = Field(description="Fills seen, the order not yet.")


class OrderPage(BaseModel):
    """Orders by order id; pass `next_cursor` back for the next page."""

    items: list[OrderItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class OrderChange(BaseModel):
    """One event that changed an order, with the fields it carried."""

    position: int = Field(description="Its log position.")
    order_id: str
    event_type: str
    event_utc: datetime | None
    status: str | None
    changes_json: Json[JsonValue] = Field(description="The fields the event carried.")


class OrderHistoryPage(BaseModel):
    """An order's changes in log order; pass `next_cursor` back for the next page."""

    run_id: str
    order_id: str
    items: list[OrderChange]
    next_cursor: str | None = Field(description="Null on the last page.")


class ExecutionItem(BaseModel):
    """A fill; side, symbol and account are its order's when the fill did not carry them."""

    run_id: str
    execution_id: str
    order_id: str
    exec_utc: datetime
    price: float
    quantity: float
    fee: float | None
    fee_currency: str | None
    liquidity: str | None
    position_impact: str | None
    side: str | None
    symbol: str | None
    account_id: str | None
    extra_json: Json[JsonValue] | None
    revision: int = Field(description="1 + times re-sent with other content.")
    position: int = Field(description="Log position of its first version.")


class ExecutionPage(BaseModel):
    """Executions by exec time, then log position; pass `next_cursor` back for more."""

    items: list[ExecutionItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class OcoLeg(BaseModel):
    """An order linked to an OCO group, with its order's current status."""

    order_id: str
    role: str = Field(description="TP, SL, ENTRY…")
    position_impact: str | None
    linked_utc: datetime | None
    order_status: str | None = Field(description="Null while the order is not known.")
    order_side: str | None
    order_type: str | None


class OcoGroupItem(BaseModel):
    """An OCO group (a bracket…) and its legs."""

    oco_group_id: str
    kind: str | None
    created_utc: datetime | None
    extra_json: Json[JsonValue] | None
    placeholder: bool = Field(description="Legs seen, the group not yet.")
    legs: list[OcoLeg]


class OcoGroupPage(BaseModel):
    """OCO groups by id; pass `next_cursor` back for the next page."""

    items: list[OcoGroupItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class BarItem(BaseModel):
    """One bar of a run's series."""

    ts_utc: datetime
    end_utc: datetime | None
    open: float
    high: float
    low: float
    close: float
    volume: float | None
    open_interest: float | None
    volumetric_json: Json[JsonValue] | None
    series_id: str
    symbol: str
    timeframe: str = Field(description="Normalised.")
    venue: str
    provider: str


class BarPage(BaseModel):
    """Bars by bar time (then series); pass `next_cursor` back for the next page."""

    items: list[BarItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class CandleItem(BaseModel):
    """The bars of one series in one bucket, aggregated."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ts_utc": "2025-03-03T14:00:00Z",
                    "end_utc": "2025-03-03T15:00:00Z",
                    "open": 5700.0,
                    "high": 5712.5,
                    "low": 5696.25,
                    "close": 5709.75,
                    "volume": 48210.0,
                    "bar_count": 60,
                    "first_bar_utc": "2025-03-03T14:00:00Z",
                    "last_bar_utc": "2025-03-03T14:59:00Z",
                    "series_id": "0b6f3c1e2d4a5b69",
                    "symbol": "ESM5",
                    "timeframe": "1m",
                    "venue": "CME",
                    "provider": "",
                }
            ]
        }
    )

    ts_utc: datetime = Field(description="The bucket's start.")
    end_utc: datetime = Field(description="The bucket's end (its start + the bucket).")
    open: float = Field(description="Open of its first bar.")
    high: float = Field(description="Highest high.")
    low: float = Field(description="Lowest low.")
    close: float = Field(description="Close of its last bar.")
    volume: float | None = Field(description="Sum of the bars' volumes; null if none had one.")
    bar_count: int = Field(description="Bars aggregated.")
    first_bar_utc: datetime
    last_bar_utc: datetime
    series_id: str
    symbol: str
    timeframe: str = Field(description="The series' own timeframe, normalised.")
    venue: str
    provider: str


class CandlePage(BaseModel):
    """Candles by bucket time (then series); pass `next_cursor` back for the next page."""

    bucket: str = Field(description='The bucket used, as a normal timeframe ("1h").')
    items: list[CandleItem]
    next_cursor: str | None = Field(description="Null on the last page.")
