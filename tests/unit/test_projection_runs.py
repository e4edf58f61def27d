"""Runs: lifecycle status, heartbeats, placeholder runs for orphan events, derived instances."""

from typing import Any

import pytest

from schema.ids import derive_instance_id
from tests.unit.projection_fold import fold

RUN = "run-1"


def run_event(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": f"run.{event_type}", "run_id": RUN, **fields}


def started(**fields: Any) -> dict[str, Any]:
    return run_event("started", **fields)


def ended(**fields: Any) -> dict[str, Any]:
    return run_event("ended", **fields)


def test_a_started_run_is_running_with_what_it_was_started_with() -> None:
    tables = fold([started(instance_id="I-1", run_type="backtest", initial_balance=50_000.0)])
    run = tables.row("strategy_runs", RUN)
    assert (run["status"], run["instance_id"], run["run_type"]) == ("RUNNING", "I-1", "BACKTEST")
    assert (run["initial_balance"], run["placeholder"], run["event_count"]) == (50_000.0, False, 1)


@pytest.mark.parametrize(
    ("sent", "status"), [({}, "COMPLETED"), ({"status": "failed"}, "FAILED")], ids=str
)
def test_an_ended_run_takes_the_end_status_time_and_reason(
    sent: dict[str, Any], status: str
) -> None:
    end = ended(end_utc="2025-03-03T15:00:00Z", reason="session close", **sent)
    run = fold([started(), end]).row("strategy_runs", RUN)
    assert (run["status"], run["end_reason"]) == (status, "session close")
    assert run["end_utc"].isoformat() == "2025-03-03T15:00:00+00:00"


@pytest.mark.parametrize("final", ["COMPLETED", "FAILED", "CANCELED"])
def test_a_late_run_started_after_run_ended_keeps_the_final_status(final: str) -> None:
    tables = fold([ended(status=final), started(instance_id="I-1", start_utc="2025-03-03T14:00Z")])
    run = tables.row("strategy_runs", RUN)
    assert (run["status"], run["instance_id"], run["placeholder"]) == (final, "I-1", False)
    assert run["start_utc"] is not None


def test_the_last_heartbeat_is_the_latest_whatever_the_arrival_order() -> None:
    beats = ["2025-03-03T14:31:00Z", "2025-03-03T14:33:00Z", "2025-03-03T14:32:00Z"]
    tables = fold([run_event("heartbeat", ts_utc=ts) for ts in beats])
    run = tables.row("strategy_runs", RUN)
    assert run["last_heartbeat_utc"].isoformat() == "2025-03-03T14:33:00+00:00"
    assert run["last_event_utc"] == run["last_heartbeat_utc"]


ORPHAN_EVENTS = {
    "order": {"type": "order.submitted", "run_id": RUN, "order_id": "1"},
    "fill": {
        "type": "execution.recorded",
        "run_id": RUN,
        "execution_id": "T-1",
        "order_id": "1",
        "exec_utc": "2025-03-03T14:30:00Z",
        "price": 5700.0,
        "quantity": 1.0,
    },
    "bar": {
        "type": "bar.closed",
        "run_id": RUN,
        "symbol": "ESM5",
        "timeframe": "1m",
        "ts_utc": "2025-03-03T14:30:00Z",
        "open": 1.0,
        "high": 1.0,
        "low": 1.0,
        "close": 1.0,
    },
    "oco": {"type": "oco.group_created", "run_id": RUN, "oco_group_id": "G"},
    "heartbeat": run_event("heartbeat", ts_utc="2025-03-03T14:30:00Z"),
    "end": ended(),
    "instrument": {"type": "instrument.defined", "run_id": RUN, "symbol": "ESM5"},
}


@pytest.mark.parametrize("orphan", ORPHAN_EVENTS.values(), ids=ORPHAN_EVENTS.keys())
def test_an_event_of_an_unknown_run_creates_a_placeholder_run_resolved_by_its_start(
    orphan: dict[str, Any],
) -> None:
    tables = fold([orphan])
    run = tables.row("strategy_runs", RUN)
    assert (run["placeholder"], run["event_count"], run["first_position"]) == (True, 1, 1)

    run = tables.apply([started(instance_id="I-1")]).row("strategy_runs", RUN)
    assert (run["placeholder"], run["event_count"], run["first_position"]) == (False, 2, 1)
    assert (run["instance_id"], run["last_position"]) == ("I-1", 2)


def test_a_run_without_an_instance_gets_one_derived_from_its_strategy_and_parameters() -> None:
    tables = fold([started(strategy_id="Alpha", parameters_json={"Fast": 10, "Slow": 30})])
    derived = derive_instance_id("Alpha", {"Slow": 30, "Fast": 10}, [], None, None, None)
    assert tables.row("strategy_runs", RUN)["instance_id"] == derived
    instance = tables.row("strategy_instances", derived)
    assert (instance["derived_id"], instance["placeholder"]) == (True, False)
    assert instance["parameters_json"] == '{"Fast":10,"Slow":30}'
    assert tables.row("strategies", "Alpha")["placeholder"] is True


def test_two_runs_of_one_configuration_share_their_derived_instance() -> None:
    tables = fold(
        [
            started(strategy_id="Alpha", parameters_json={"Fast": 10, "Slow": 30}),
            started(run_id="run-2", strategy_id="Alpha", parameters_json={"Slow": 30, "Fast": 10}),
        ]
    )
    (instance,) = tables.rows("strategy_instances")
    runs = tables.rows("strategy_runs")
    assert [run["instance_id"] for run in runs] == [instance["instance_id"]] * 2


def test_a_run_naming_an_unknown_instance_leaves_a_placeholder_instance() -> None:
    instance = fold([started(instance_id="I-9")]).row("strategy_instances", "I-9")
    assert (instance["placeholder"], instance["derived_id"]) == (True, False)
