"""Tables of the projection store: what the projector builds from the log, the read API serves.

Everything here can be dropped and rebuilt from the log. Rows carry `last_position`, the log
position of the last event that changed them. JSON columns hold canonical JSON text. A row
created only because a child referred to it (an execution of an order not yet seen, an event
of a run that never started) has `placeholder` true: it is an orphan's parent, listed as such,
and becomes a normal row when its own event arrives.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

from schema.tables.types import UtcDateTime

PROJECTION_METADATA = MetaData()


def _last_position() -> Column[int]:
    return Column("last_position", BigInteger, nullable=False)


strategies = Table(
    "strategies",
    PROJECTION_METADATA,
    Column("strategy_id", Text, primary_key=True),
    Column("name", Text),
    Column("strategy_version", Text),
    Column("vendor", Text),
    Column("source_ref", Text),
    Column("notes", Text),
    Column("extra_json", Text),
    Column("placeholder", Boolean, nullable=False),
    _last_position(),
)

strategy_instances = Table(
    "strategy_instances",
    PROJECTION_METADATA,
    Column("instance_id", Text, primary_key=True),
    Column("strategy_id", Text),
    Column("instance_name", Text),
    Column("parameters_json", Text),
    Column("symbol", Text),
    Column("symbols_json", Text),
    Column("timeframe", Text, doc="Normalised (schema.timeframes)."),
    Column("timeframe_raw", Text),
    Column("account_id", Text),
    Column("venue", Text),
    Column("derived_id", Boolean, nullable=False, doc="Id derived from the configuration."),
    Column("placeholder", Boolean, nullable=False),
    _last_position(),
)
Index("ix_instances_strategy", strategy_instances.c.strategy_id)

instruments = Table(
    "instruments",
    PROJECTION_METADATA,
    Column("scope", Text, primary_key=True, doc='A run id, or "*" for every run.'),
    Column("symbol", Text, primary_key=True),
    Column("venue", Text),
    Column("multiplier", Float, nullable=False),
    Column("tick_size", Float),
    Column("currency", Text),
    Column("asset_class", Text),
    _last_position(),
)

strategy_runs = Table(
    "strategy_runs",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("instance_id", Text),
    Column("strategy_id", Text),
    Column("run_type", Text),
    Column("status", Text),
    Column("start_utc", UtcDateTime),
    Column("end_utc", UtcDateTime),
    Column("end_reason", Text),
    Column("last_heartbeat_utc", UtcDateTime),
    Column("last_event_utc", UtcDateTime, doc="Latest source time of any of its events."),
    Column("engine_version", Text),
    Column("data_source", Text),
    Column("data_range_json", Text),
    Column("initial_balance", Float),
    Column("base_currency", Text),
    Column("periods_per_year", Float),
    Column("parameters_json", Text),
    Column("metrics_json", Text, doc="Metrics the exporter reported, as sent."),
    Column("event_count", Integer, nullable=False),
    Column("placeholder", Boolean, nullable=False, doc="Events seen, run.started not yet."),
    Column("first_position", BigInteger, nullable=False),
    _last_position(),
)
Index("ix_runs_instance", strategy_runs.c.instance_id)
Index("ix_runs_strategy", strategy_runs.c.strategy_id)

orders = Table(
    "orders",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("order_id", Text, primary_key=True),
    Column("strategy_id", Text),
    Column("parent_order_id", Text),
    Column("symbol", Text),
    Column("account_id", Text),
    Column("side", Text),
    Column("order_type", Text),
    Column("time_in_force", Text),
    Column("quantity", Float),
    Column("price", Float),
    Column("stop_price", Float),
    Column("status", Text, nullable=False),
    Column("submit_utc", UtcDateTime),
    Column("last_update_utc", UtcDateTime),
    Column("client_tag", Text),
    Column("position_impact", Text),
    Column("reject_reason", Text),
    Column("cancel_reason", Text),
    Column("extra_json", Text),
    Column("filled_quantity", Float, nullable=False, doc="Sum of its executions."),
    Column("fill_notional", Float, nullable=False, doc="Sum of price x quantity of fills."),
    Column("avg_fill_price", Float, doc="fill_notional / filled_quantity."),
    Column("fees", Float, nullable=False),
    Column("fill_count", Integer, nullable=False),
    Column("first_fill_utc", UtcDateTime),
    Column("last_fill_utc", UtcDateTime),
    Column("placeholder", Boolean, nullable=False, doc="Fills seen, the order not yet."),
    Column("first_position", BigInteger, nullable=False),
    _last_position(),
)

order_history = Table(
    "order_history",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("event_utc", UtcDateTime),
    Column("status", Text),
    Column("changes_json", Text, nullable=False, doc="The fields the event carried."),
)
Index("ix_order_history_order", order_history.c.run_id, order_history.c.order_id)

executions = Table(
    "executions",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("execution_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("exec_utc", UtcDateTime, nullable=False),
    Column("price", Float, nullable=False),
    Column("quantity", Float, nullable=False),
    Column("fee", Float),
    Column("fee_currency", Text),
    Column("liquidity", Text),
    Column("position_impact", Text),
    Column("side", Text, doc="As sent; null when only the order knows it."),
    Column("symbol", Text),
    Column("account_id", Text),
    Column("extra_json", Text),
    Column("revision", Integer, nullable=False, doc="1 + times re-sent with other content."),
    Column("position", BigInteger, nullable=False, doc="Log position of the first version."),
    _last_position(),
)
Index("ix_executions_order", executions.c.run_id, executions.c.order_id)
Index("ix_executions_time", executions.c.run_id, executions.c.exec_utc, executions.c.position)

order_oco_groups = Table(
    "order_oco_groups",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("oco_group_id", Text, primary_key=True),
    Column("kind", Text),
    Column("created_utc", UtcDateTime),
    Column("extra_json", Text),
    Column("placeholder", Boolean, nullable=False),
    _last_position(),
)

order_oco_links = Table(
    "order_oco_links",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("oco_group_id", Text, primary_key=True),
    Column("order_id", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("position_impact", Text),
    Column("linked_utc", UtcDateTime),
    _last_position(),
)
Index("ix_oco_links_order", order_oco_links.c.run_id, order_oco_links.c.order_id)

run_series = Table(
    "run_series",
    PROJECTION_METADATA,
    Column("series_id", Text, primary_key=True, doc="Derived from its key."),
    Column("run_id", Text, nullable=False),
    Column("symbol", Text, nullable=False),
    Column("timeframe", Text, nullable=False, doc="Normalised."),
    Column("venue", Text, nullable=False, doc='"" when not sent.'),
    Column("provider", Text, nullable=False, doc='"" when not sent.'),
    Column("timeframe_raw", Text, nullable=False, doc="First spelling seen."),
    Column("bar_count", Integer, nullable=False),
    Column("first_ts_utc", UtcDateTime, nullable=False),
    Column("last_ts_utc", UtcDateTime, nullable=False),
    _last_position(),
)
Index("ix_series_run", run_series.c.run_id, run_series.c.symbol, run_series.c.timeframe)

bars = Table(
    "bars",
    PROJECTION_METADATA,
    Column("series_id", Text, primary_key=True),
    Column("ts_utc", UtcDateTime, primary_key=True),
    Column("end_utc", UtcDateTime),
    Column("open", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("close", Float, nullable=False),
    Column("volume", Float),
    Column("open_interest", Float),
    Column("volumetric_json", Text),
    _last_position(),
)

checkpoints = Table(
    "checkpoints",
    PROJECTION_METADATA,
    Column("partition", Text, primary_key=True, doc='A run id, or "catalog".'),
    Column("position", BigInteger, nullable=False, doc="Last log position applied."),
    Column("known_position", BigInteger, nullable=False, doc="Last position seen in the log."),
    Column("applied_events", BigInteger, nullable=False),
    Column("updated_utc", UtcDateTime, nullable=False),
    Column("halted_position", BigInteger, doc="Set when an event could not be applied."),
    Column("halted_event_id", Text),
    Column("halted_error", Text),
    Column(
        "analytics_position",
        BigInteger,
        nullable=False,
        default=0,
        server_default="0",
        doc="The position the partition's analytics (trades, metrics) reflect; behind "
        "`position` while they are due (projector/analytics/stage.py).",
    ),
)

# projection_meta key of the projector's discovery cursor: every partition with events up to
# that log position has a checkpoint row.
DISCOVERY_CURSOR_KEY = "discovery_position"

projection_meta = Table(
    "projection_meta",
    PROJECTION_METADATA,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# --- Analytics: derived from a run's stored rows by projector/analytics, never by a GET -----
# Money columns are in account currency, multiplier applied; a figure that is not finite
# (NaN, infinity) is stored as NULL. Each run's rows are replaced whole when it is analyzed.

trades = Table(
    "trades",
    PROJECTION_METADATA,
    Column("trade_id", Text, primary_key=True, doc="uuid5(run, account, symbol, cycle)."),
    Column("run_id", Text, nullable=False),
    Column("account_id", Text, nullable=False, doc='"" when orders name none.'),
    Column("symbol", Text, nullable=False),
    Column("cycle", Integer, nullable=False, doc="1, 2, … per (account, symbol)."),
    Column("side", Text, nullable=False, doc="The position's direction: LONG or SHORT."),
    Column("quantity", Float, doc="Peak absolute position."),
    Column("entered_quantity", Float, doc="Sum of the opening quantities."),
    Column("entry_price", Float, doc="Volume-weighted average of the opening fills."),
    Column("exit_price", Float, doc="Volume-weighted average of the closing fills."),
    Column("entry_utc", UtcDateTime, nullable=False),
    Column("exit_utc", UtcDateTime, nullable=False),
    Column("duration_seconds", Float),
    Column("pnl_gross", Float),
    Column("commission", Float),
    Column("pnl_net", Float),
    Column("trade_return", Float, doc="pnl_net / (|entry_price| x quantity x multiplier)."),
    Column("outcome", Text, nullable=False, doc="WIN, LOSS or BREAKEVEN."),
    Column("multiplier", Float),
    Column("entry_order_id", Text, nullable=False),
    Column("exit_order_id", Text, nullable=False),
    Column("exit_execution_id", Text, nullable=False),
    Column("exit_position", BigInteger, nullable=False, doc="Log position of the closing fill."),
    Column("exit_reason", Text, doc="OCO role of the closing order: TP, SL or EXIT."),
    Column("fill_count", Integer, nullable=False),
    Column("mfe", Float, doc="Most favourable excursion (currency, >= 0); null without bars."),
    Column("mae", Float, doc="Most adverse excursion (currency, >= 0); null without bars."),
    Column("regime_trend", Text),
    Column("regime_volatility", Text),
)
Index("ix_trades_run_exit", trades.c.run_id, trades.c.exit_utc, trades.c.trade_id)

trade_lot_matches = Table(
    "trade_lot_matches",
    PROJECTION_METADATA,
    Column("trade_id", Text, primary_key=True),
    Column("match_number", Integer, primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("entry_execution_id", Text, nullable=False),
    Column("exit_execution_id", Text, nullable=False),
    Column("quantity", Float),
    Column("entry_price", Float),
    Column("exit_price", Float),
    Column("entry_utc", UtcDateTime, nullable=False),
    Column("exit_utc", UtcDateTime, nullable=False),
    Column("pnl_gross", Float),
    Column("fees", Float),
    Column("pnl_net", Float),
)
Index("ix_lot_matches_run", trade_lot_matches.c.run_id)

open_positions = Table(
    "open_positions",
    PROJECTION_METADATA,
    Column("trade_id", Text, primary_key=True, doc="The id of the trade it will become."),
    Column("run_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("symbol", Text, nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("side", Text, nullable=False),
    Column("quantity", Float),
    Column("peak_quantity", Float),
    Column("average_cost", Float),
    Column("entry_price", Float),
    Column("entry_utc", UtcDateTime, nullable=False),
    Column("realized_pnl", Float, doc="Gross PnL of its partial closes so far."),
    Column("commission", Float),
    Column("multiplier", Float),
    Column("mark_price", Float, doc="The symbol's last bar close; null without bars."),
    Column("mark_utc", UtcDateTime),
    Column("unrealized_pnl", Float),
    Column("pnl_net", Float, doc="realized - commission + unrealized (0 when unmarked)."),
)
Index("ix_open_positions_run", open_positions.c.run_id)

equity_points = Table(
    "equity_points",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True, doc="0, 1, … in time order."),
    Column("ts_utc", UtcDateTime, nullable=False),
    Column("equity", Float),
    Column("drawdown", Float, doc="Peak so far (the starting balance included) - equity."),
    Column("drawdown_pct", Float, doc="drawdown / peak; null while the peak is <= 0."),
)

trade_flags = Table(
    "trade_flags",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column("execution_id", Text, primary_key=True),
    Column("kind", Text, nullable=False, doc="HELD, ZERO_QUANTITY, NEGATIVE_QUANTITY, DUST."),
    Column("order_id", Text, nullable=False),
    Column("exec_utc", UtcDateTime, nullable=False),
    Column("quantity", Float),
)


def _metric_columns() -> list[Column[object]]:
    """The figures a dashboard sorts and filters by, then every metric as canonical JSON."""
    return [
        Column("net_pnl", Float, doc="Closed trades, after fees."),
        Column("gross_pnl", Float),
        Column("fees", Float),
        Column("total_pnl", Float, doc="net_pnl + open_pnl: the equity's change."),
        Column("open_pnl", Float),
        Column("open_positions", Integer, nullable=False),
        Column("trades", Integer, nullable=False),
        Column("wins", Integer, nullable=False),
        Column("losses", Integer, nullable=False),
        Column("breakevens", Integer, nullable=False),
        Column("win_rate", Float),
        Column("profit_factor", Float),
        Column("max_drawdown", Float),
        Column("max_drawdown_pct", Float),
        Column("sharpe", Float),
        Column("sortino", Float),
        Column("exposure", Float),
        Column("metrics_json", Text, nullable=False, doc="Every metric (docs/metrics.md)."),
    ]


run_metrics = Table(
    "run_metrics",
    PROJECTION_METADATA,
    Column("run_id", Text, primary_key=True),
    Column(
        "computed_position",
        BigInteger,
        nullable=False,
        doc="Latest log position of a fill, order, OCO link, bar or instrument it includes.",
    ),
    Column("instance_id", Text, doc="The run's instance when computed (aggregate membership)."),
    Column("strategy_id", Text, doc="The run's strategy, or its instance's, when computed."),
    Column("initial_balance", Float, doc="Where the equity curve starts (0 when unknown)."),
    Column("start_utc", UtcDateTime, doc="When the starting balance applied, if known."),
    Column("span_start_utc", UtcDateTime, doc="The span exposure and CAGR are measured over."),
    Column("span_end_utc", UtcDateTime),
    Column("periods_per_year", Float, nullable=False),
    *_metric_columns(),
)
Index("ix_run_metrics_instance", run_metrics.c.instance_id)
Index("ix_run_metrics_strategy", run_metrics.c.strategy_id)

instance_metrics = Table(
    "instance_metrics",
    PROJECTION_METADATA,
    Column("instance_id", Text, primary_key=True),
    Column("runs", Integer, nullable=False, doc="Runs with metrics, measured together."),
    Column("computed_position", BigInteger, nullable=False, doc="Max over its runs."),
    *_metric_columns(),
)

strategy_metrics = Table(
    "strategy_metrics",
    PROJECTION_METADATA,
    Column("strategy_id", Text, primary_key=True),
    Column("runs", Integer, nullable=False, doc="Runs with metrics, measured together."),
    Column("computed_position", BigInteger, nullable=False, doc="Max over its runs."),
    *_metric_columns(),
)
