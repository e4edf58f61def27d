"""Enum values are matched after normalising case, spaces and hyphens, and stored upper case."""

from enum import StrEnum
from typing import Any

import pytest
from pydantic import ValidationError

from schema.codec import decode_event, encode_event
from schema.enums import (
    OcoKind,
    OcoRole,
    OrderStatus,
    OrderType,
    PositionImpact,
    RunStatus,
    RunType,
    Side,
    normalize_enum_text,
)
from schema.events import OrderUpdated

ORDER = {"type": "order.updated", "run_id": "R-1", "order_id": "1001"}
RUN = {"type": "run.started", "run_id": "R-1"}
LINK = {"type": "oco.order_linked", "run_id": "R-1", "oco_group_id": "G", "order_id": "1002"}


@pytest.mark.parametrize(
    "sent",
    [
        "PARTIALLY_FILLED",
        "partially filled",
        "Partially-Filled",
        " partially_filled ",
        "pArTiAlLy FiLlEd",
    ],
)
def test_status_spellings_normalise_to_one_value(sent: str) -> None:
    event = decode_event({**ORDER, "status": sent})

    assert isinstance(event, OrderUpdated)
    assert event.status is OrderStatus.PARTIALLY_FILLED


@pytest.mark.parametrize(
    ("base", "field", "sent", "expected"),
    [
        (ORDER, "side", "buy", Side.BUY),
        (ORDER, "side", "Sell", Side.SELL),
        (ORDER, "order_type", "stop limit", OrderType.STOP_LIMIT),
        (ORDER, "order_type", "mit", OrderType.MIT),
        (ORDER, "status", "canceled", OrderStatus.CANCELED),
        (ORDER, "position_impact", "reverse", PositionImpact.REVERSE),
        (RUN, "run_type", "backtest", RunType.BACKTEST),
        (RUN, "status", "failed", RunStatus.FAILED),
        ({**RUN, "type": "run.ended"}, "status", "Completed", RunStatus.COMPLETED),
        (
            {"type": "oco.group_created", "run_id": "R-1", "oco_group_id": "G"},
            "kind",
            "bracket",
            OcoKind.BRACKET,
        ),
        (LINK, "role", "tp", OcoRole.TP),
    ],
)
def test_lower_case_enum_value_is_accepted_and_stored_upper_case(
    base: dict[str, Any], field: str, sent: str, expected: StrEnum
) -> None:
    event = decode_event({**base, field: sent})

    assert getattr(event, field) is expected
    assert f'"{field}":"{expected.value}"'.encode() in encode_event(event)


@pytest.mark.parametrize(
    ("base", "field", "sent"),
    [
        (ORDER, "status", "HALF_FILLED"),
        (ORDER, "side", "LONG"),
        (ORDER, "order_type", "STOPLIMIT"),
        (RUN, "run_type", ""),
        (LINK, "role", 1),
    ],
)
def test_unknown_enum_value_is_refused_on_its_field(
    base: dict[str, Any], field: str, sent: object
) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_event({**base, field: sent})

    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


@pytest.mark.parametrize("value", [None, 3, ["buy"]])
def test_normalisation_leaves_non_strings_alone(value: object) -> None:
    assert normalize_enum_text(value) == value
