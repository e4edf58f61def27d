"""Stored rows of one run -> what trade reconstruction and run metrics read (pure).

A `Fill` is an `executions` row completed with its order's side, symbol and account where the
row lacks them; a fill whose order is still unknown (a placeholder) and that names no side or
symbol itself stays incomplete and is *held* by reconstruction until the order arrives. Bars:
one series per symbol, the finest timeframe (ticks before seconds before minutes…; ties go
to the series with more bars, then the smaller series id). OCO roles: one per order, TP and
SL before EXIT before ENTRY. Multipliers and the asset class come from `instruments`, a row
scoped to the run beating the "*" row of the same symbol. Placeholder orders (known only from
their fills) are not orders the run submitted: execution quality leaves them out.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from projector.metrics import OrderFact, RunFacts
from projector.trades import Bar, Fill, RunInputs
from projector.writes import Row
from schema.enums import OcoRole, OrderStatus, OrderType, Side

WILDCARD_SCOPE = "*"
_ROLE_PREFERENCE = (OcoRole.TP, OcoRole.SL, OcoRole.EXIT, OcoRole.ENTRY)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mo": 2_629_800}
_TIMEFRAME = re.compile(r"^(\d+)(t|s|m|h|d|w|mo)$")


@dataclass(frozen=True, slots=True)
class RunRows:
    """The stored rows one run's analytics read: `bars` (as `Bar` values) only of the series
    `finest_series` chose, by series id; `instruments` of the run's traded symbols (scope:
    the run or "*")."""

    run_id: str
    run: Row | None
    orders: Sequence[Row] = ()
    executions: Sequence[Row] = ()
    oco_links: Sequence[Row] = ()
    series: Sequence[Row] = ()
    bars: Mapping[str, Sequence[Bar]] = field(default_factory=dict)
    instruments: Sequence[Row] = ()


def fill_of(execution: Row, order: Row | None) -> Fill:
    """The fill of an `executions` row, completed from its `orders` row (if any)."""
    known = order or {}
    side = execution["side"] or known.get("side")
    return Fill(
        execution_id=execution["execution_id"],
        order_id=execution["order_id"],
        exec_utc=execution["exec_utc"],
        position=execution["position"],
        quantity=execution["quantity"],
        price=execution["price"],
        side=Side(side) if side else None,
        symbol=execution["symbol"] or known.get("symbol"),
        account_id=execution["account_id"] or known.get("account_id"),
        fee=execution["fee"] or 0.0,
    )


def fills_of(executions: Iterable[Row], orders: Iterable[Row]) -> list[Fill]:
    """Every execution as a fill, in (exec_utc, log position, execution id) order."""
    by_id = {order["order_id"]: order for order in orders}
    fills = [fill_of(row, by_id.get(row["order_id"])) for row in executions]
    return sorted(fills, key=lambda fill: fill.sort_key)


def order_fact_of(order: Row) -> OrderFact:
    kind = order["order_type"]
    return OrderFact(
        order_id=order["order_id"],
        status=OrderStatus(order["status"]),
        order_type=OrderType(kind) if kind else None,
        quantity=order["quantity"],
        price=order["price"],
        stop_price=order["stop_price"],
        filled_quantity=order["filled_quantity"],
        submit_utc=order["submit_utc"],
        first_fill_utc=order["first_fill_utc"],
    )


def order_facts_of(orders: Iterable[Row]) -> list[OrderFact]:
    """The run's submitted orders (placeholders left out), by order id."""
    known = sorted((o for o in orders if not o["placeholder"]), key=lambda o: o["order_id"])
    return [order_fact_of(order) for order in known]


def oco_roles_of(links: Iterable[Row]) -> dict[str, OcoRole]:
    """One role per order: an order linked more than once keeps its most telling role."""
    roles: dict[str, OcoRole] = {}
    for link in links:
        role = OcoRole(link["role"])
        current = roles.get(link["order_id"])
        if current is None or _ROLE_PREFERENCE.index(role) < _ROLE_PREFERENCE.index(current):
            roles[link["order_id"]] = role
    return roles


def timeframe_rank(timeframe: str) -> tuple[int, int]:
    """Sort key, finest first: tick counts, then durations in seconds, then unparsed ones."""
    match = _TIMEFRAME.match(timeframe)
    if match is None:
        return (2, 0)
    count, unit = int(match.group(1)), match.group(2)
    return (0, count) if unit == "t" else (1, count * _SECONDS[unit])


def finest_series(series: Iterable[Row]) -> dict[str, str]:
    """symbol -> the id of the series its bars are read from."""
    best: dict[str, Row] = {}
    for row in series:
        current = best.get(row["symbol"])
        if current is None or _series_key(row) < _series_key(current):
            best[row["symbol"]] = row
    return {symbol: row["series_id"] for symbol, row in sorted(best.items())}


def _series_key(row: Row) -> tuple[tuple[int, int], int, str]:
    return (timeframe_rank(row["timeframe"]), -row["bar_count"], row["series_id"])


def traded_symbols(orders: Iterable[Row], executions: Iterable[Row]) -> set[str]:
    """The symbols the run's fills can be in (what its instruments are looked up for)."""
    return {row["symbol"] for row in [*orders, *executions] if row["symbol"]}


def effective_instruments(instruments: Iterable[Row], run_id: str) -> dict[str, Row]:
    """symbol -> its instrument row for this run: the run's own, else the "*" one."""
    chosen: dict[str, Row] = {}
    for row in instruments:
        if row["scope"] == run_id or (
            row["scope"] == WILDCARD_SCOPE and row["symbol"] not in chosen
        ):
            chosen[row["symbol"]] = row
    return chosen


def asset_class_of(instruments: Mapping[str, Row]) -> str | None:
    """The asset class the run's instruments agree on; None when unknown or mixed."""
    classes = {row["asset_class"] for row in instruments.values() if row["asset_class"]}
    return classes.pop() if len(classes) == 1 else None


def run_instruments(rows: RunRows) -> dict[str, Row]:
    """symbol -> the instrument row in force, for the symbols the run trades."""
    traded = traded_symbols(rows.orders, rows.executions)
    chosen = effective_instruments(rows.instruments, rows.run_id)
    return {symbol: row for symbol, row in chosen.items() if symbol in traded}


def computed_position_of(rows: RunRows) -> int:
    """The latest log position among the rows the analysis reads (0 when none), so equal
    inputs give an equal figure however the log was batched."""
    instruments = run_instruments(rows).values()
    groups: list[Iterable[Row]] = [
        rows.orders,
        rows.executions,
        rows.oco_links,
        rows.series,
        instruments,
    ]
    return max((row["last_position"] for group in groups for row in group), default=0)


def run_inputs_of(rows: RunRows) -> tuple[RunInputs, RunFacts]:
    """The reconstruction inputs and metrics facts of one run's rows."""
    instruments = run_instruments(rows)
    series = finest_series(rows.series).items()
    inputs = RunInputs(
        run_id=rows.run_id,
        fills=fills_of(rows.executions, rows.orders),
        multipliers=multipliers_of(instruments),
        oco_roles=oco_roles_of(rows.oco_links),
        bars={symbol: rows.bars[sid] for symbol, sid in series if rows.bars.get(sid)},
    )
    return inputs, run_facts_of(rows, instruments)


def multipliers_of(instruments: Mapping[str, Row]) -> dict[str, float]:
    """symbol -> multiplier, of `run_instruments`."""
    return {symbol: row["multiplier"] for symbol, row in instruments.items()}


def run_facts_of(rows: RunRows, instruments: Mapping[str, Row]) -> RunFacts:
    """The metrics facts of one run's rows (`instruments`: its `run_instruments`)."""
    run = rows.run or {}
    return RunFacts(
        initial_balance=run.get("initial_balance"),
        periods_per_year=run.get("periods_per_year"),
        asset_class=asset_class_of(instruments),
        start_utc=run.get("start_utc"),
        end_utc=run.get("end_utc"),
        orders=order_facts_of(rows.orders),
    )
