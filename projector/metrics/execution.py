"""Execution quality: slippage against the order's price, fill ratio, cancel ratio and the
latency from submission to the first fill.

Slippage of a fill = (fill price - reference) x (+1 buy, -1 sell): positive is worse for the
trader. The reference is the price the order named: the limit price of LIMIT orders, the
touch price of MIT, the stop price of STOP and STOP_LIMIT (their limit price when no stop was
sent), the price of an order of unknown type. MARKET orders name no price and are excluded,
as are fills of unknown orders and a reference of 0. In bps: slippage / |reference| x 10^4.
Both are averaged weighted by fill quantity; the price average mixes the symbols' units, bps
compare across them. Fill ratio = sum(min(filled, ordered)) / sum(ordered) over orders with
a quantity; cancel ratio = CANCELED orders / orders; latency over orders with both times, a
negative one (clock skew between sources) excluded and counted.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from projector.metrics.numeric import mean, median, ratio
from projector.trades.inputs import Fill
from schema.enums import OrderStatus, OrderType, Side

ONE_MS = timedelta(milliseconds=1)
_BY_STOP = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})


@dataclass(frozen=True, slots=True)
class OrderFact:
    """What execution quality reads of an `orders` row."""

    order_id: str
    status: OrderStatus
    order_type: OrderType | None = None
    quantity: float | None = None
    price: float | None = None
    stop_price: float | None = None
    filled_quantity: float = 0.0
    submit_utc: datetime | None = None
    first_fill_utc: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExecutionStats:
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


def reference_price(order: OrderFact) -> float | None:
    """The price a fill of `order` is judged against; None for market orders."""
    if order.order_type is OrderType.MARKET:
        return None
    if order.order_type in _BY_STOP and order.stop_price is not None:
        return order.stop_price
    return order.price


def _slippage(
    runs: Sequence[tuple[Sequence[Fill], Sequence[OrderFact]]],
) -> tuple[int, float | None, float | None]:
    weights: list[float] = []
    prices: list[float] = []
    bps: list[float] = []
    for fills, orders in runs:
        # Order ids are unique within a run only: join each run's fills to its own orders.
        by_id = {order.order_id: order for order in orders}
        for fill in fills:
            order = by_id.get(fill.order_id)
            reference = reference_price(order) if order is not None else None
            if reference is None or reference == 0 or fill.side is None or fill.quantity <= 0:
                continue
            slip = (fill.price - reference) * (1.0 if fill.side is Side.BUY else -1.0)
            weights.append(fill.quantity)
            prices.append(slip * fill.quantity)
            bps.append(slip / abs(reference) * 1e4 * fill.quantity)
    if not weights:
        return 0, None, None
    total = math.fsum(weights)
    return len(weights), ratio(math.fsum(prices), total), ratio(math.fsum(bps), total)


def execution_stats(runs: Sequence[tuple[Sequence[Fill], Sequence[OrderFact]]]) -> ExecutionStats:
    """Execution quality of the (fills, orders) of one or more runs."""
    count, slip, slip_bps = _slippage(runs)
    orders = [order for _, run_orders in runs for order in run_orders]
    sized = [order for order in orders if order.quantity is not None and order.quantity > 0]
    ordered = math.fsum(order.quantity or 0.0 for order in sized)
    filled = math.fsum(min(order.filled_quantity, order.quantity or 0.0) for order in sized)
    latencies = [
        (order.first_fill_utc - order.submit_utc) / ONE_MS
        for order in orders
        if order.submit_utc is not None and order.first_fill_utc is not None
    ]
    valid = [latency for latency in latencies if latency >= 0]
    canceled = sum(1 for order in orders if order.status is OrderStatus.CANCELED)
    return ExecutionStats(
        orders=len(orders),
        canceled_orders=canceled,
        cancel_ratio=ratio(canceled, len(orders)),
        fill_ratio=ratio(filled, ordered),
        slippage_fills=count,
        slippage_mean=slip,
        slippage_mean_bps=slip_bps,
        latency_samples=len(valid),
        latency_negative=len(latencies) - len(valid),
        latency_p50_ms=median(valid),
        latency_mean_ms=mean(valid),
    )
