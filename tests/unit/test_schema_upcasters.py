"""upcast carries an old event dict to the current version one registered step at a time."""

import re
from typing import Any

import pytest

from schema.upcasters import Upcaster, upcast


def _rename_qty(data: dict[str, Any]) -> dict[str, Any]:
    """v1 -> v2: `qty` became `quantity`."""
    data = dict(data)
    data["quantity"] = data.pop("qty")
    return data


def _add_venue(data: dict[str, Any]) -> dict[str, Any]:
    """v2 -> v3: `venue` added, unknown for older events."""
    return {**data, "venue": None}


REGISTRY: dict[tuple[str, int], Upcaster] = {
    ("fill.recorded", 1): _rename_qty,
    ("fill.recorded", 2): _add_venue,
}
V1 = {"type": "fill.recorded", "version": 1, "qty": 2.0}


def test_registered_step_carries_v1_to_v2() -> None:
    assert upcast(dict(V1), "fill.recorded", 1, 2, REGISTRY) == {
        "type": "fill.recorded",
        "version": 2,
        "quantity": 2.0,
    }


def test_steps_are_chained_up_to_the_target_version() -> None:
    assert upcast(dict(V1), "fill.recorded", 1, 3, REGISTRY) == {
        "type": "fill.recorded",
        "version": 3,
        "quantity": 2.0,
        "venue": None,
    }


def test_data_already_at_the_target_version_is_returned_unchanged() -> None:
    data = {"type": "fill.recorded", "version": 3, "quantity": 2.0}

    assert upcast(dict(data), "fill.recorded", 3, 3, REGISTRY) == data


@pytest.mark.parametrize(
    ("event_type", "version", "target", "missing"),
    [
        ("fill.recorded", 1, 4, "fill.recorded v3"),
        ("order.updated", 1, 2, "order.updated v1"),  # steps of another type never apply
    ],
)
def test_missing_step_raises_lookup_error_naming_it(
    event_type: str, version: int, target: int, missing: str
) -> None:
    with pytest.raises(LookupError, match=re.escape(f"no upcaster for {missing}")):
        upcast(
            {"type": event_type, "version": version, "qty": 1.0},
            event_type,
            version,
            target,
            REGISTRY,
        )
