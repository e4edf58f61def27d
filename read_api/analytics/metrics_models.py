"""Response models of the metrics routes: per run, per instance, per strategy, compared.

`Metrics` mirrors what the projector stores in `metrics_json` (projector.metrics.RunMetrics;
a unit test keeps the two field for field); every formula is in docs/metrics.md. The top-level
figures of a response repeat the columns dashboards sort and filter by.
"""

from pydantic import BaseModel, Field


class TradeStats(BaseModel):
    """Closed-trade statistics (open positions excluded)."""

    trades: int
    wins: int
    losses: int
    breakevens: int
    gross_pnl: float | None
    fees: float | None
    net_pnl: float | None
    gross_profit: float | None
    gross_loss: float | None
    win_rate: float | None
    profit_factor: float | None = Field(description="Null when there is no loss.")
    average_win: float | None
    average_loss: float | None
    payoff_ratio: float | None
    expectancy: float | None
    sqn: float | None
    kelly: float | None
    largest_win: float | None
    largest_loss: float | None
    max_consecutive_wins: int
    max_consecutive_losses: int
    average_duration_seconds: float | None


class ReturnStats(BaseModel):
    """Drawdown and the daily risk ratios of the marked-to-market equity."""

    basis: str = Field(description="RETURNS (a starting balance) or PNL (none).")
    periods: int
    periods_per_year: float | None
    start_equity: float | None
    end_equity: float | None
    max_drawdown: float | None
    max_drawdown_pct: float | None
    sharpe: float | None
    sortino: float | None
    volatility: float | None
    cagr: float | None
    calmar: float | None


class ExecutionStats(BaseModel):
    """Slippage against the order's price, fill and cancel ratios, submit-to-fill latency."""

    orders: int
    canceled_orders: int
    cancel_ratio: float | None
    fill_ratio: float | None
    slippage_fills: int
    slippage_mean: float | None
    slippage_mean_bps: float | None
    latency_samples: int
    latency_negative: int
    latency_p50_ms: float | None
    latency_mean_ms: float | None


class RegimeStats(BaseModel):
    """Closed trades entered in one market regime."""

    dimension: str = Field(description="trend or volatility.")
    regime: str
    trades: int
    wins: int
    net_pnl: float | None
    win_rate: float | None


class Metrics(BaseModel):
    """Every metric of a run, or of several runs held together as one portfolio."""

    runs: int
    trades: TradeStats
    returns: ReturnStats
    execution: ExecutionStats
    regimes: list[RegimeStats]
    open_positions: int
    open_pnl: float | None
    total_pnl: float | None
    time_in_market_seconds: float | None
    exposure: float | None


class MetricsSummary(BaseModel):
    """The headline figures (null until computed) and every metric."""

    computed_position: int | None = Field(
        description="Latest log position of a fill, order, OCO link, bar or instrument "
        "the metrics include; null until the projector has computed them."
    )
    net_pnl: float | None
    gross_pnl: float | None
    fees: float | None
    total_pnl: float | None
    open_pnl: float | None
    open_positions: int | None
    trades: int | None
    wins: int | None
    losses: int | None
    breakevens: int | None
    win_rate: float | None
    profit_factor: float | None
    max_drawdown: float | None
    max_drawdown_pct: float | None
    sharpe: float | None
    sortino: float | None
    exposure: float | None
    metrics: Metrics | None


class RunMetricsResponse(MetricsSummary):
    """A run's metrics."""

    run_id: str
    instance_id: str | None
    strategy_id: str | None


class InstanceMetricsResponse(MetricsSummary):
    """The metrics of an instance's runs held together."""

    instance_id: str
    runs: int = Field(description="Runs with metrics.")


class StrategyMetricsResponse(MetricsSummary):
    """The metrics of a strategy's runs held together."""

    strategy_id: str
    runs: int = Field(description="Runs with metrics.")


class CompareRequest(BaseModel):
    """The runs to compare, at most 100, in the order the answer lists them."""

    run_ids: list[str] = Field(min_length=1, max_length=100)
