"""Executions: orphan fills, re-sent fills that correct their order exactly, revisions."""

from typing import Any

import pytest

from projector.projections.executions import ConflictingExecution
from tests.unit.projection_fold import fold

RUN, ORDER = "run-1", "1002"
FILL_FIGURES = ("filled_quantity", "fill_notional", "avg_fill_price", "fees", "fill_count")


def fill(execution_id: str = "T-3", order_id: str = ORDER, **fields: Any) -> dict[str, Any]:
    return {
        "type": "execution.recorded",
        "run_id": RUN,
        "execution_id": execution_id,
        "order_id": order_id,
        "exec_utc": "2025-03-03T14:31:42Z",
        "price": 5706.0,
        "quantity": 2.0,
        "fee": 2.5,
        **fields,
    }


def order(**fields: Any) -> dict[str, Any]:
    return {
        "type": "order.submitted",
        "run_id": RUN,
        "order_id": ORDER,
        "symbol": "ESM5",
        "side": "SELL",
        "order_type": "LIMIT",
        "quantity": 2.0,
        "price": 5706.0,
        **fields,
    }


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in FILL_FIGURES)


def test_a_fill_of_an_unknown_order_creates_a_placeholder_order() -> None:
    tables = fold([fill()])
    placeholder = tables.row("orders", RUN, ORDER)
    assert (placeholder["placeholder"], placeholder["side"]) == (True, None)
    assert (placeholder["status"], placeholder["first_position"]) == ("PARTIALLY_FILLED", 1)
    assert figures(placeholder) == (2.0, 11_412.0, 5706.0, 2.5, 1)


def test_the_order_event_resolves_the_placeholder_and_keeps_its_fills() -> None:
    resolved = fold([fill(), order(status="NEW")]).row("orders", RUN, ORDER)
    assert (resolved["placeholder"], resolved["side"], resolved["status"]) == (
        False,
        "SELL",
        "FILLED",
    )
    assert figures(resolved) == (2.0, 11_412.0, 5706.0, 2.5, 1)
    assert (resolved["first_position"], resolved["last_position"]) == (1, 2)


@pytest.mark.parametrize(
    "correction",
    [{"price": 5706.25}, {"quantity": 1.0}, {"fee": 1.25}, {"fee": None}, {"liquidity": "MAKER"}],
    ids=str,
)
def test_a_fill_re_sent_with_other_content_corrects_its_order_exactly(
    correction: dict[str, Any],
) -> None:
    other = fill("T-4", price=5705.75, quantity=1.0, fee=1.25)
    corrected = fill(**correction)
    resent = fold([order(quantity=3.0), other, fill(), corrected])
    sent_right_first = fold([order(quantity=3.0), other, corrected])
    assert figures(resent.row("orders", RUN, ORDER)) == figures(
        sent_right_first.row("orders", RUN, ORDER)
    )
    execution = resent.row("executions", RUN, "T-3")
    assert execution | {"revision": 1, "position": 3, "last_position": 3} == (
        sent_right_first.row("executions", RUN, "T-3")
    )
    assert (execution["revision"], execution["position"], execution["last_position"]) == (2, 3, 4)


def test_every_re_send_is_counted_as_a_revision() -> None:
    tables = fold([fill(fee=1.0), fill(fee=2.0), fill(fee=3.0)])
    assert tables.row("executions", RUN, "T-3")["revision"] == 3
    assert tables.row("orders", RUN, ORDER)["fees"] == 3.0


@pytest.mark.parametrize("sizes", [[], [1], [2]], ids=["one-batch", "1+2", "2+1"])
def test_a_re_sent_fill_corrects_its_order_whatever_the_batches(sizes: list[int]) -> None:
    tables = fold([order(), fill(quantity=1.0), fill(quantity=2.0)], sizes)
    assert figures(tables.row("orders", RUN, ORDER)) == (2.0, 11_412.0, 5706.0, 2.5, 1)


@pytest.mark.parametrize("sizes", [[], [2]], ids=["one-batch", "two-batches"])
def test_a_fill_re_sent_for_another_order_halts_the_run(sizes: list[int]) -> None:
    tables = fold([order(), fill(), fill(order_id="1003")], sizes)
    position, error = tables.halted[RUN]
    assert position == 3
    assert error.startswith(ConflictingExecution.__name__)
    assert figures(tables.row("orders", RUN, ORDER)) == (2.0, 11_412.0, 5706.0, 2.5, 1)
    assert (RUN, "1003") not in tables.tables["orders"]


def test_a_fill_without_a_fee_counts_no_fee() -> None:
    assert fold([fill(fee=None)]).row("orders", RUN, ORDER)["fees"] == 0.0


def test_fill_times_span_the_first_and_last_fill() -> None:
    tables = fold([fill("T-1", exec_utc="2025-03-03T14:32:00Z"), fill("T-2", quantity=1.0)])
    row = tables.row("orders", RUN, ORDER)
    assert row["first_fill_utc"].isoformat() == "2025-03-03T14:31:42+00:00"
    assert row["last_fill_utc"].isoformat() == "2025-03-03T14:32:00+00:00"
