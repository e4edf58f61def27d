"""Execution quality: slippage against the order's price (positive = worse for the trader),
fill ratio, cancel ratio and submit-to-first-fill latency."""

from datetime import timedelta

import pytest

from projector.metrics.execution import OrderFact, execution_stats, reference_price
from projector.trades import Fill
from schema.enums import OrderStatus, OrderType
from tests.fixtures.trade_builders import T0, fills

LIMIT, STOP, MARKET = OrderType.LIMIT, OrderType.STOP, OrderType.MARKET
FILLED, CANCELED = OrderStatus.FILLED, OrderStatus.CANCELED


def _order(
    order_id: str,
    kind: OrderType | None,
    price: float | None = None,
    stop: float | None = None,
    status: OrderStatus = FILLED,
) -> OrderFact:
    return OrderFact(order_id, status, kind, 1.0, price, stop, 1.0)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (_order("o", LIMIT, price=10), 10),
        (_order("o", OrderType.MIT, price=10), 10),
        (_order("o", STOP, price=11, stop=10), 10),
        (_order("o", OrderType.STOP_LIMIT, price=11, stop=10), 10),
        (_order("o", OrderType.STOP_LIMIT, price=11), 11),
        (_order("o", None, price=12), 12),
        (_order("o", MARKET, price=12), None),
    ],
)
def test_reference_is_the_price_the_order_named(order: OrderFact, expected: float | None) -> None:
    assert reference_price(order) == expected


@pytest.mark.parametrize(
    ("script", "reference", "price_slip", "bps"),
    [
        ("B 1@100.5", 100, 0.5, 50),  # bought above the price: worse
        ("S 1@99.5", 100, 0.5, 50),  # sold below it: worse
        ("B 1@99.8", 100, -0.2, -20),  # improvement is negative
        ("S 1@100.2", 100, -0.2, -20),
    ],
)
def test_slippage_is_signed_so_positive_is_worse_for_the_trader(
    script: str, reference: float, price_slip: float, bps: float
) -> None:
    stats = execution_stats([(fills(script), [_order("o1", LIMIT, price=reference)])])

    assert stats.slippage_mean == pytest.approx(price_slip)
    assert stats.slippage_mean_bps == pytest.approx(bps)


def test_slippage_is_weighted_by_fill_quantity_and_excludes_market_and_unknown_orders() -> None:
    given = fills("B 3@101; B 1@105; S 2@90; B 5@50")
    orders = [_order("o1", LIMIT, price=100), _order("o2", LIMIT, price=100), _order("o3", MARKET)]

    stats = execution_stats([(given, orders)])

    assert stats.slippage_fills == 2
    assert stats.slippage_mean == pytest.approx((3 * 1 + 1 * 5) / 4)


def test_fill_ratio_caps_each_order_at_its_quantity() -> None:
    orders = [
        OrderFact("a", FILLED, LIMIT, 10, 1, None, 12),  # over-reported fills count as 10
        OrderFact("b", CANCELED, LIMIT, 10, 1, None, 3),
        OrderFact("c", CANCELED, LIMIT, None, 1, None, 0),  # no quantity: left out
    ]

    stats = execution_stats([((), orders)])

    assert stats.fill_ratio == 13 / 20


def test_order_canceled_after_a_fill_counts_as_canceled_and_its_fill_as_filled() -> None:
    orders = [
        OrderFact("a", CANCELED, LIMIT, 4, 1, None, 1),
        OrderFact("b", FILLED, LIMIT, 4, 1, None, 4),
    ]

    stats = execution_stats([((), orders)])

    assert (stats.canceled_orders, stats.cancel_ratio, stats.fill_ratio) == (1, 0.5, 5 / 8)


def test_latency_is_submit_to_first_fill_in_ms_with_clock_skew_excluded() -> None:
    def order(order_id: str, ms: float | None) -> OrderFact:
        first_fill = T0 + timedelta(milliseconds=ms) if ms is not None else None
        return OrderFact(order_id, FILLED, LIMIT, 1, 1, None, 1, T0, first_fill)

    stats = execution_stats(
        [((), [order("a", 10), order("b", 30), order("c", -5), order("d", None)])]
    )

    assert (stats.latency_samples, stats.latency_negative) == (2, 1)
    assert (stats.latency_p50_ms, stats.latency_mean_ms) == (20, 20)


def test_fills_are_joined_to_the_orders_of_their_own_run() -> None:
    run_a = (fills("B 1@101"), [_order("o1", LIMIT, price=100)])
    run_b: tuple[list[Fill], list[OrderFact]] = (fills("B 1@101"), [_order("o1", MARKET)])

    stats = execution_stats([run_a, run_b])

    assert (stats.slippage_fills, stats.slippage_mean) == (1, 1)


def test_no_orders_and_no_fills_give_null_ratios() -> None:
    stats = execution_stats([])

    assert (stats.orders, stats.slippage_fills, stats.latency_samples) == (0, 0, 0)
    assert (stats.cancel_ratio, stats.fill_ratio, stats.slippage_mean) == (None, None, None)
    assert (stats.latency_p50_ms, stats.latency_mean_ms) == (None, None)
