"""The session generator (stratlog/simulation/sessions.py): deterministic, canonical, sized as
asked, runs interleaved and each run told from its start to its end."""

from collections import Counter
from itertools import islice

import orjson
import pytest

from schema.codec import decode_event, encode_event
from stratlog.simulation import generate_sessions


def _bytes(seed: int, runs: int = 3, events_per_run: int = 400) -> list[bytes]:
    events = generate_sessions(seed, runs=runs, events_per_run=events_per_run)
    return [orjson.dumps(event, option=orjson.OPT_SORT_KEYS) for event in events]


def test_the_same_seed_gives_the_same_events_byte_for_byte() -> None:
    assert _bytes(5) == _bytes(5)


def test_another_seed_gives_another_session() -> None:
    first, second = _bytes(5), _bytes(6)
    assert first != second
    assert len(set(first) & set(second)) < len(first) / 10  # not a shifted copy


def test_every_event_is_valid_and_already_canonical() -> None:
    for event in generate_sessions(2, runs=3, events_per_run=1_500):
        assert encode_event(decode_event(event)) == orjson.dumps(
            event, option=orjson.OPT_SORT_KEYS
        ), event


def test_no_two_events_have_the_same_content() -> None:
    events = _bytes(9, runs=4, events_per_run=2_000)
    assert len(set(events)) == len(events)


@pytest.mark.parametrize(("runs", "per_run"), [(1, 150), (3, 400), (8, 2_500)])
def test_a_session_holds_about_runs_times_events_per_run(runs: int, per_run: int) -> None:
    events = list(generate_sessions(1, runs=runs, events_per_run=per_run))
    told = Counter(event.get("run_id") for event in events if "run_id" in event)
    assert len(told) == runs
    for run_id, count in told.items():
        assert per_run <= count <= per_run * 1.1 + 60, (run_id, count)


def test_a_run_can_be_bounded_by_minutes_instead() -> None:
    events = list(generate_sessions(1, runs=1, events_per_run=None, minutes=120))
    bars = Counter(event["symbol"] for event in events if event["type"] == "bar.closed")
    assert len(bars) == 2
    assert all(120 <= count <= 130 for count in bars.values()), bars


def test_each_run_starts_first_and_ends_last_and_runs_are_interleaved() -> None:
    events = [e for e in generate_sessions(4, runs=4, events_per_run=800) if "run_id" in e]
    by_run: dict[str, list[str]] = {}
    for event in events:
        by_run.setdefault(event["run_id"], []).append(event["type"])
    for types in by_run.values():
        assert types[0] == "run.started"
        assert types[-1] == "run.ended"
        assert types.count("run.started") == types.count("run.ended") == 1
    first_end = min(i for i, e in enumerate(events) if e["type"] == "run.ended")
    assert len({e["run_id"] for e in events[:first_end]}) == 4


def test_at_most_the_concurrent_runs_trade_at_once() -> None:
    active, most = set(), 0
    for event in generate_sessions(3, runs=7, events_per_run=300, concurrent=2):
        if event["type"] == "run.started":
            active.add(event["run_id"])
        elif event["type"] == "run.ended":
            active.discard(event["run_id"])
        most = max(most, len(active))
    assert most == 2
    assert not active


def test_the_catalog_comes_first_and_names_what_the_runs_use() -> None:
    events = list(generate_sessions(8, runs=5, events_per_run=300))
    catalog = list(
        islice((e for e in events), 0, next(i for i, e in enumerate(events) if "run_id" in e))
    )
    instances = {e["instance_id"] for e in catalog if e["type"] == "instance.registered"}
    symbols = {e["symbol"] for e in catalog if e["type"] == "instrument.defined"}
    strategies = {e["strategy_id"] for e in catalog if e["type"] == "strategy.registered"}
    starts = [e for e in events if e["type"] == "run.started"]
    assert {e["instance_id"] for e in starts} == instances
    assert {e["strategy_id"] for e in starts} <= strategies
    assert {e["symbol"] for e in events if e["type"] == "bar.closed"} == symbols


def test_generating_needs_a_way_to_end_each_run() -> None:
    with pytest.raises(ValueError, match="must end"):
        next(generate_sessions(1, runs=1, events_per_run=None))


def test_a_session_has_every_scenario_exporters_produce() -> None:
    events = list(generate_sessions(1, runs=4, events_per_run=5_000))
    submitted: set[tuple[str, str]] = set()
    final: set[tuple[str, str]] = set()
    groups: set[tuple[str, str]] = set()
    seen: Counter[str] = Counter()
    for event in events:
        kind, run = event["type"], event.get("run_id", "")
        order = (run, event.get("order_id", ""))
        if kind == "order.submitted":
            submitted.add(order)
            seen[f"impact {event['position_impact']}"] += 1
        elif kind == "execution.recorded":
            seen["fill before its order"] += order not in submitted
            seen["fill without a fee"] += not event["fee"] > 0
        elif kind == "order.updated":
            status = event["status"]
            seen["stale status after the final one"] += order in final and status == "WORKING"
            if status in ("FILLED", "CANCELED"):
                final.add(order)
            seen[f"cancelled: {event.get('cancel_reason')}"] += status == "CANCELED"
            seen["stop moved"] += "stop_price" in event
            seen["partly filled"] += status == "PARTIALLY_FILLED"
        elif kind == "oco.group_created":
            groups.add((run, event["oco_group_id"]))
        elif kind == "oco.order_linked":
            seen["link before its group"] += (run, event["oco_group_id"]) not in groups
            seen[f"role {event['role']}"] += 1
    for scenario in (
        "fill before its order", "stale status after the final one", "link before its group",
        "partly filled", "cancelled: timeout", "cancelled: not filled", "cancelled: OCO",
        "cancelled: reversal", "cancelled: session end", "stop moved", "impact REVERSE",
        "role ENTRY", "role TP", "role SL", "role EXIT",
    ):  # fmt: skip
        assert seen[scenario] > 0, scenario
    assert seen["fill without a fee"] == 0
