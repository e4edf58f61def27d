"""How an exporter's item becomes a canonical event dict: the path decides the type.

Rules, in order: null fields are dropped (null and absent mean the same); legacy field names
are renamed (unless the current name is sent too); fields the route fixes (a server-assigned
run id) override the item's and defaults fill gaps; an order whose status is NEW or absent is
an `order.submitted`, any other status an `order.updated` carrying the same fields; keys the
event type does not know are folded into `extra_json` (the item's own `extra_json` wins a
clash), so a newer exporter's field is kept rather than refused. A client `event_id` is kept
as the envelope's. The result still has to pass `schema.codec.decode_event`: nothing here
validates.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import orjson

from schema.enums import OrderStatus, normalize_enum_text
from schema.events import (
    BarClosed,
    Event,
    ExecutionRecorded,
    InstanceRegistered,
    OrderSubmitted,
    OrderUpdated,
    RunEnded,
    RunStarted,
    StrategyRegistered,
    wire_type,
)

ENVELOPE_KEYS = frozenset({"event_id"})


class ItemKind(StrEnum):
    """What a compat route receives; the values of the single-event kinds are their paths."""

    STRATEGY = "strategy_create"
    INSTANCE = "instance_create"
    RUN_START = "run_start"
    ORDER = "order"
    EXECUTION = "execution"
    BAR = "bar"
    RUNS_START = "runs_start"  # body of POST /api/runs/start
    RUNS_STOP = "runs_stop"  # body of POST /api/runs/{run_id}/stop


# POST /api/ingest/event/{kind}
EVENT_KINDS = (
    ItemKind.STRATEGY,
    ItemKind.INSTANCE,
    ItemKind.RUN_START,
    ItemKind.ORDER,
    ItemKind.EXECUTION,
    ItemKind.BAR,
)
# POST /api/ingest/batch/{name} and the sections of POST /api/ingest/stream
BATCH_KINDS = {"orders": ItemKind.ORDER, "executions": ItemKind.EXECUTION, "bars": ItemKind.BAR}
STREAM_SECTIONS = BATCH_KINDS

_RUN_START_ALIASES = {"start_time": "start_utc", "parameters": "parameters_json"}

# Legacy name -> current name, per kind.
ALIASES: Mapping[ItemKind, Mapping[str, str]] = {
    ItemKind.STRATEGY: {"version": "strategy_version"},
    ItemKind.INSTANCE: {},
    ItemKind.RUN_START: _RUN_START_ALIASES,
    ItemKind.RUNS_START: _RUN_START_ALIASES,
    ItemKind.ORDER: {"submit_time": "submit_utc"},
    ItemKind.EXECUTION: {"exec_time": "exec_utc", "liquidity_flag": "liquidity"},
    ItemKind.BAR: {"timestamp": "ts_utc", "end_time": "end_utc"},
    ItemKind.RUNS_STOP: {"end_time": "end_utc"},
}

_CLASSES: Mapping[ItemKind, tuple[type[Event], ...]] = {
    ItemKind.STRATEGY: (StrategyRegistered,),
    ItemKind.INSTANCE: (InstanceRegistered,),
    ItemKind.RUN_START: (RunStarted,),
    ItemKind.RUNS_START: (RunStarted,),
    ItemKind.ORDER: (OrderSubmitted, OrderUpdated),
    ItemKind.EXECUTION: (ExecutionRecorded,),
    ItemKind.BAR: (BarClosed,),
    ItemKind.RUNS_STOP: (RunEnded,),
}


def event_classes(kind: ItemKind) -> tuple[type[Event], ...]:
    """The event classes items of this kind become (orders: submitted, then updated)."""
    return _CLASSES[kind]


def to_canonical(
    kind: ItemKind,
    item: Mapping[str, Any],
    *,
    fixed: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The canonical event dict (with `type`) of a compat item of `kind`."""
    # null means "not sent" (the codec drops nulls too); C# clients send null for unset fields,
    # including ones whose canonical default is not null (an order's status).
    data = {name: value for name, value in item.items() if value is not None}
    for legacy, current in ALIASES[kind].items():
        if legacy in data and current not in data:
            data[current] = data.pop(legacy)
    for name, value in (fixed or {}).items():
        if name in data and data[name] != value:
            data[f"client_{name}"] = data[name]
        data[name] = value
    for name, value in (defaults or {}).items():
        data.setdefault(name, value)
    cls = _event_class(kind, data)
    _fold_unknown(cls, data)
    data["type"] = wire_type(cls)
    return data


def _event_class(kind: ItemKind, data: Mapping[str, Any]) -> type[Event]:
    if kind is not ItemKind.ORDER:
        return _CLASSES[kind][0]
    status = data.get("status")
    if status is None or normalize_enum_text(status) == OrderStatus.NEW:
        return OrderSubmitted
    return OrderUpdated


def _fold_unknown(cls: type[Event], data: dict[str, Any]) -> None:
    """Move keys `cls` does not declare into its `extra_json`, when it has one."""
    known = cls.model_fields.keys() - {"type", "version"}
    unknown = [name for name in data if name not in known and name not in ENVELOPE_KEYS]
    if not unknown or "extra_json" not in known:
        return  # nothing to fold, or nowhere to fold it: decode_event refuses the item
    extra = data.get("extra_json")
    if isinstance(extra, str | bytes):
        try:
            extra = orjson.loads(extra)
        except orjson.JSONDecodeError:
            return  # the codec reports the bad extra_json
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        return
    data["extra_json"] = {name: data.pop(name) for name in unknown} | extra
