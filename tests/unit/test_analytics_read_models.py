"""The read API's analytics models against what the projector stores: the metrics model
mirrors RunMetrics field for field, the item models name only stored columns, and cursors
round-trip while anything else is refused as a client error."""

import dataclasses
import typing
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from projector.analytics.rows import metrics_json
from projector.metrics import RunMetrics
from read_api.analytics.metrics_models import Metrics, MetricsSummary
from read_api.analytics.models import EquityPoint, LotMatchItem, OpenPositionItem, TradeItem
from read_api.cursors import decode_cursor, encode_cursor
from read_api.errors import InvalidParameter
from schema.tables.projections import (
    equity_points,
    open_positions,
    run_metrics,
    trade_lot_matches,
    trades,
)
from tests.unit.test_analytics_rows import report


def _inner(annotation: Any, wanted: Any) -> Any:
    """The class matching `wanted` inside `T`, `tuple[T, ...]`, `list[T]` or `T | None`."""
    if isinstance(annotation, type) and wanted(annotation):
        return annotation
    for argument in typing.get_args(annotation):
        found = _inner(argument, wanted)
        if found is not None:
            return found
    return None


def _is_model(cls: type) -> bool:
    return issubclass(cls, BaseModel)


def _assert_mirrors(model: type[BaseModel], source: Any) -> None:
    hints = typing.get_type_hints(source)
    assert list(model.model_fields) == [f.name for f in dataclasses.fields(source)]
    for name, field in model.model_fields.items():
        nested = _inner(hints[name], dataclasses.is_dataclass)
        if nested is not None:
            _assert_mirrors(_inner(field.annotation, _is_model), nested)


def test_the_metrics_model_mirrors_run_metrics_field_for_field() -> None:
    _assert_mirrors(Metrics, RunMetrics)


def test_stored_metrics_json_validates_and_round_trips_through_the_model() -> None:
    document = orjson.loads(metrics_json(report().metrics))
    assert Metrics.model_validate(document).model_dump(mode="json") == document


@pytest.mark.parametrize(
    ("model", "table", "extra"),
    [
        (TradeItem, trades, set()),
        (LotMatchItem, trade_lot_matches, set()),
        (OpenPositionItem, open_positions, set()),
        (EquityPoint, equity_points, set()),
        (MetricsSummary, run_metrics, {"metrics"}),
    ],
)
def test_response_items_name_only_stored_columns(
    model: type[BaseModel], table: Any, extra: set[str]
) -> None:
    assert set(model.model_fields) - extra <= {column.name for column in table.c}


@pytest.mark.parametrize("key", [["2025-03-03T14:30:00+00:00", "trade-1"], [42], ["é", ""]])
def test_a_cursor_decodes_to_the_key_it_was_made_from(key: list[str | int]) -> None:
    types = [type(value) for value in key]
    assert decode_cursor(encode_cursor(key), types) == key


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "bm90IGpzb24", encode_cursor(["a"]), encode_cursor([True]), encode_cursor([1, 2])],
)
def test_a_cursor_this_api_did_not_issue_is_a_client_error(cursor: str) -> None:
    with pytest.raises(InvalidParameter):
        decode_cursor(cursor, (int,))
