"""Derived ids: event ids carry their event's exact millisecond; instance ids ignore ordering."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schema.ids import derive_event_id, derive_instance_id, stable_uuid

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _millis_prefix(event_id: str) -> int:
    return uuid.UUID(event_id).int >> 80


@pytest.mark.parametrize(
    "occurred",
    [
        # timestamp() * 1000 in floating point lands 1 ms short for these.
        datetime(2038, 6, 20, 12, 38, 30, 75000, tzinfo=UTC),
        datetime(2107, 5, 18, 0, 3, 36, 478000, tzinfo=UTC),
        datetime(2107, 5, 20, 9, 0, 31, 230000, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_derived_id_starts_with_the_exact_millisecond_of_the_event(occurred: datetime) -> None:
    expected = (occurred - EPOCH) // timedelta(milliseconds=1)

    assert _millis_prefix(derive_event_id(b"{}", occurred)) == expected


def test_derived_id_is_a_version_8_rfc_uuid() -> None:
    derived = uuid.UUID(derive_event_id(b'{"type":"run.heartbeat"}', datetime.now(UTC)))

    assert (derived.version, derived.variant) == (8, uuid.RFC_4122)


def test_event_without_time_sorts_before_every_timed_event() -> None:
    untimed = derive_event_id(b"\xff" * 64, None)

    assert _millis_prefix(untimed) == 0
    assert untimed < derive_event_id(b"", EPOCH + timedelta(milliseconds=1))


@pytest.mark.parametrize(
    ("other_content", "other_time"),
    [
        (b'{"price":5706.25}', datetime(2025, 3, 3, 14, 31, 42, tzinfo=UTC)),
        (b'{"price":5706.0}', datetime(2025, 3, 3, 14, 31, 42, 1000, tzinfo=UTC)),
    ],
)
def test_derived_id_changes_with_content_or_millisecond(
    other_content: bytes, other_time: datetime
) -> None:
    same = derive_event_id(b'{"price":5706.0}', datetime(2025, 3, 3, 14, 31, 42, tzinfo=UTC))

    assert derive_event_id(other_content, other_time) != same


def test_instance_id_ignores_parameter_key_order_and_symbol_order() -> None:
    one = derive_instance_id(
        "StackedImbalance", {"a": 1, "b": {"x": 1, "y": 2}}, ["ESM5", "NQM5"], "1m", "SIM-101", None
    )
    other = derive_instance_id(
        "StackedImbalance", {"b": {"y": 2, "x": 1}, "a": 1}, ["NQM5", "ESM5"], "1m", "SIM-101", None
    )

    assert one == other


@pytest.mark.parametrize(
    "changed",
    [
        {"parameters": {"StopTicks": 9}},
        {"symbols": ["NQM5"]},
        {"timeframe": "5m"},
        {"account_id": "SIM-102"},
        {"venue": "CME"},
        {"strategy_id": "Other"},
    ],
)
def test_instance_id_changes_with_any_part_of_the_configuration(changed: dict[str, object]) -> None:
    config: dict[str, object] = {
        "strategy_id": "StackedImbalance",
        "parameters": {"StopTicks": 8},
        "symbols": ["ESM5"],
        "timeframe": "1m",
        "account_id": "SIM-101",
        "venue": None,
    }

    assert derive_instance_id(**{**config, **changed}) != derive_instance_id(**config)  # type: ignore[arg-type]


def test_no_parameters_and_empty_parameters_are_one_instance() -> None:
    assert derive_instance_id("S", None, ["ES"], None, None, None) == derive_instance_id(
        "S", {}, ["ES"], None, None, None
    )


def test_stable_uuid_keeps_part_boundaries() -> None:
    assert stable_uuid("a", "bc") != stable_uuid("ab", "c")
    assert stable_uuid("a", "bc") == stable_uuid("a", "bc")
