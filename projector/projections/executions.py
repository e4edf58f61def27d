"""Executions, and the fill figures of their order (filled quantity, average price, fees).

A fill whose order is unknown creates the order as a placeholder (an orphan's parent, listed
until the order's own event fills it in). A fill re-sent with other content (the same
execution_id, e.g. a fee that became known) replaces the first one: the order's figures are
corrected by the difference, and `revision` counts the replacements. A re-send naming another
order is refused (the partition halts): the first version's order is not among the rows the
batch loaded, so correcting it would depend on batch boundaries, and an execution id shared by
two orders is a source conflict that must be seen, not folded into one order.
"""

from projector.projections.common import earlier, json_text, later, run_read, touch_run
from projector.projections.orders import new_order_row, order_read, with_fill_status
from projector.state import ProjectionState
from projector.writes import Put, Read, Row, Write
from schema.events import ExecutionRecorded


class ConflictingExecution(ValueError):
    """The same execution id was recorded for two different orders of a run."""


def reads_execution(event: ExecutionRecorded) -> list[Read]:
    return [
        run_read(event.run_id),
        order_read(event.run_id, event.order_id),
        Read("executions", (event.run_id, event.execution_id)),
    ]


def project_execution(
    event: ExecutionRecorded, position: int, state: ProjectionState
) -> list[Write]:
    previous = state.get("executions", (event.run_id, event.execution_id))
    if previous is not None and previous["order_id"] != event.order_id:
        raise ConflictingExecution(
            f"execution {event.execution_id!r} was recorded for order {previous['order_id']!r}"
            f" and re-sent for order {event.order_id!r}"
        )
    order_id = event.order_id
    current = state.get("orders", (event.run_id, order_id))
    order = dict(current) if current else new_order_row(event.run_id, order_id, position)
    if previous is not None:
        _add_fill(order, -previous["quantity"], previous["price"], -(previous["fee"] or 0.0), -1)
    _add_fill(order, event.quantity, event.price, event.fee or 0.0, 1)
    order["first_fill_utc"] = earlier(order["first_fill_utc"], event.exec_utc)
    order["last_fill_utc"] = later(order["last_fill_utc"], event.exec_utc)
    order["last_position"] = position
    execution: Row = {
        "run_id": event.run_id,
        "execution_id": event.execution_id,
        "order_id": order_id,
        "exec_utc": event.exec_utc,
        "price": event.price,
        "quantity": event.quantity,
        "fee": event.fee,
        "fee_currency": event.fee_currency,
        "liquidity": event.liquidity,
        "position_impact": event.position_impact,
        "side": event.side,
        "symbol": event.symbol,
        "account_id": event.account_id,
        "extra_json": json_text(event.extra_json),
        "revision": previous["revision"] + 1 if previous else 1,
        "position": previous["position"] if previous else position,
        "last_position": position,
    }
    run = state.get("strategy_runs", (event.run_id,))
    return [
        Put("executions", execution),
        Put("orders", with_fill_status(order)),
        touch_run(run, event.run_id, event, position),
    ]


def _add_fill(order: Row, quantity: float, price: float, fee: float, count: int) -> None:
    order["filled_quantity"] += quantity
    order["fill_notional"] += quantity * price
    order["fees"] += fee
    order["fill_count"] += count
    filled = order["filled_quantity"]
    order["avg_fill_price"] = order["fill_notional"] / filled if abs(filled) > 1e-12 else None
