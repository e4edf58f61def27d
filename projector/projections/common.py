"""Pieces every projection uses: canonical JSON text, field merging, the run row touch.

Every event of a run updates its `strategy_runs` row (event count, last position, last source
time) and creates it as a placeholder when the run has not started yet (an orphan's parent).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from projector.writes import Put, Read, Row
from schema.doorbell import partition_key
from schema.events import Event


def partition_of(event: Event) -> str:
    """Runs are projected independently; strategies and instances in their own partition."""
    return partition_key(event.stream_run_id)


def json_text(value: Any) -> str | None:
    """Canonical JSON text for a JSON column (sorted keys), None stays None."""
    if value is None:
        return None
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def merged(base: Row, updates: Mapping[str, Any]) -> Row:
    """`base` with every non-None value of `updates`: a missing field never wipes one."""
    row = dict(base)
    row.update({k: v for k, v in updates.items() if v is not None})
    return row


def later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    if candidate is None:
        return current
    return max(current, candidate)


def earlier(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    if candidate is None:
        return current
    return min(current, candidate)


def run_read(run_id: str) -> Read:
    return Read("strategy_runs", (run_id,))


def new_run_row(run_id: str, position: int) -> Row:
    """A run known only from its events so far."""
    return {
        "run_id": run_id,
        "instance_id": None,
        "strategy_id": None,
        "run_type": None,
        "status": None,
        "start_utc": None,
        "end_utc": None,
        "end_reason": None,
        "last_heartbeat_utc": None,
        "last_event_utc": None,
        "engine_version": None,
        "data_source": None,
        "data_range_json": None,
        "initial_balance": None,
        "base_currency": None,
        "periods_per_year": None,
        "parameters_json": None,
        "metrics_json": None,
        "event_count": 0,
        "placeholder": True,
        "first_position": position,
        "last_position": position,
    }


def touched_run(run: Row | None, run_id: str, event: Event, position: int) -> Row:
    """The run row after one more of its events (created as a placeholder if unknown)."""
    row = dict(run) if run is not None else new_run_row(run_id, position)
    row["event_count"] += 1
    row["last_position"] = position
    row["last_event_utc"] = later(row["last_event_utc"], event.occurred_utc)
    return row


def touch_run(run: Row | None, run_id: str, event: Event, position: int) -> Put:
    return Put("strategy_runs", touched_run(run, run_id, event, position))
