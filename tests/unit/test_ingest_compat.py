"""The exporters' items as canonical event dicts (ingest_api.compat)."""

from typing import Any

import pytest

from ingest_api.compat import ItemKind, to_canonical


@pytest.mark.parametrize(
    ("kind", "legacy", "current"),
    [
        (ItemKind.ORDER, "submit_time", "submit_utc"),
        (ItemKind.EXECUTION, "exec_time", "exec_utc"),
        (ItemKind.EXECUTION, "liquidity_flag", "liquidity"),
        (ItemKind.BAR, "timestamp", "ts_utc"),
        (ItemKind.BAR, "end_time", "end_utc"),
        (ItemKind.RUNS_START, "start_time", "start_utc"),
        (ItemKind.RUNS_START, "parameters", "parameters_json"),
        (ItemKind.RUNS_STOP, "end_time", "end_utc"),
        (ItemKind.STRATEGY, "version", "strategy_version"),
    ],
)
def test_a_legacy_name_is_renamed(kind: ItemKind, legacy: str, current: str) -> None:
    data = to_canonical(kind, {legacy: "v"})

    assert data[current] == "v"
    assert legacy not in data


def test_a_legacy_name_beside_the_current_one_is_kept_as_extra() -> None:
    data = to_canonical(ItemKind.ORDER, {"submit_utc": "a", "submit_time": "b"})

    assert (data["submit_utc"], data["extra_json"]) == ("a", {"submit_time": "b"})


def test_a_null_current_name_gives_way_to_the_legacy_one() -> None:
    assert to_canonical(ItemKind.BAR, {"ts_utc": None, "timestamp": "t"})["ts_utc"] == "t"


def test_the_path_decides_the_type_whatever_the_item_says() -> None:
    data = to_canonical(ItemKind.EXECUTION, {"type": "bar.closed", "version": 7})

    assert data["type"] == "execution.recorded"
    assert "version" not in data
    assert data["extra_json"] == {"type": "bar.closed", "version": 7}


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        ("NEW", "order.submitted"),
        ("new", "order.submitted"),
        (None, "order.submitted"),
        ("WORKING", "order.updated"),
        ("FILLED", "order.updated"),
        (5, "order.updated"),
    ],
)
def test_an_orders_status_decides_submitted_or_updated(status: Any, event_type: str) -> None:
    assert to_canonical(ItemKind.ORDER, {"status": status})["type"] == event_type


def test_an_order_without_status_is_submitted() -> None:
    assert to_canonical(ItemKind.ORDER, {})["type"] == "order.submitted"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (None, {"new_field": 1}),
        ({"kept": True}, {"new_field": 1, "kept": True}),
        ('{"kept": true}', {"new_field": 1, "kept": True}),
        ({"new_field": "own"}, {"new_field": "own"}),
    ],
)
def test_unknown_keys_are_folded_into_extra_json(extra: Any, expected: dict[str, Any]) -> None:
    data = to_canonical(ItemKind.EXECUTION, {"new_field": 1, "extra_json": extra})

    assert data["extra_json"] == expected
    assert "new_field" not in data


@pytest.mark.parametrize("extra", ["not json", "[1]", 5])
def test_unknown_keys_stay_put_when_extra_json_is_unusable(extra: Any) -> None:
    data = to_canonical(ItemKind.EXECUTION, {"new_field": 1, "extra_json": extra})

    assert (data["new_field"], data["extra_json"]) == (1, extra)


def test_null_fields_are_dropped_not_folded() -> None:
    assert to_canonical(ItemKind.EXECUTION, {"fee": None, "new_field": None}) == {
        "type": "execution.recorded"
    }


@pytest.mark.parametrize("kind", list(ItemKind))
def test_every_compat_kind_folds_unknown_keys_into_extra_json(kind: ItemKind) -> None:
    data = to_canonical(kind, {"delta": 3})

    assert "delta" not in data
    assert data["extra_json"]["delta"] == 3


def test_fixed_fields_override_and_keep_the_clients_value() -> None:
    data = to_canonical(ItemKind.RUNS_START, {"run_id": "mine"}, fixed={"run_id": "server"})

    assert data["run_id"] == "server"
    assert data["extra_json"] == {"client_run_id": "mine"}


def test_defaults_fill_only_what_is_missing() -> None:
    defaults = {"start_utc": "default"}

    assert to_canonical(ItemKind.RUNS_START, {}, defaults=defaults)["start_utc"] == "default"
    sent = to_canonical(ItemKind.RUNS_START, {"start_time": "sent"}, defaults=defaults)
    assert sent["start_utc"] == "sent"


def test_the_event_id_is_not_folded() -> None:
    assert to_canonical(ItemKind.BAR, {"event_id": "e"})["event_id"] == "e"
