"""The run an exporter `.sqlite` file holds: its strategy, instance, start and end as events.

The export has no run events of its own, only a `Metadata(key, value)` table and its data, so
they are derived here (docs/operations.md, "Import", lists the keys read):

- run id: Metadata `run_id`, else `stable_uuid("import", "sqlite", sha256 of the file)`: the
  same file always becomes the same run, another file never collides with it;
- `strategy.registered`: Metadata `strategy_id` (else the orders', or the fills'),
  `strategy_name`, `strategy_version` (else the orders'), `vendor`, `source_ref`, `notes`;
- `instance.registered`: Metadata `instance_id`, `instance_name`, `parameters_json`, `symbol`
  or `symbols_json` (else the symbols traded), `timeframe` (else the bars', when there is
  one), `account_id` (else the orders', when there is one), `venue`. Without `instance_id` the
  id is the one the projector derives from that configuration, so both events name one instance;
- `run.started` at the earliest time in the data (orders, fills, bars), `run_type` BACKTEST
  unless Metadata says otherwise; every other Metadata key is a run field if it names one
  (`initial_balance`, `base_currency`, ...), else kept in its `extra_json`;
- `run.ended` at the latest time in the data, COMPLETED.

Each goes through the exporters' compat mapping like any exporter item.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest_api.body import RawItem, json_text
from ingest_api.compat import ItemKind, event_classes
from ingest_api.imports.rows import SourceItem, item_of
from ingest_api.items import compat_item
from ingest_api.log_store import NewEvent
from schema.codec import decode_stored
from schema.events import InstanceRegistered, wire_type
from schema.ids import derive_instance_id, stable_uuid
from schema.timeframes import normalize_timeframe

TABLE = "Metadata"
DEFAULT_RUN_TYPE = "BACKTEST"
_STRATEGY_KEYS = {
    "strategy_id": "strategy_id",
    "strategy_name": "name",
    "strategy_version": "strategy_version",
    "vendor": "vendor",
    "source_ref": "source_ref",
    "notes": "notes",
}
_INSTANCE_KEYS = (
    "instance_id",
    "instance_name",
    "parameters_json",
    "symbol",
    "symbols_json",
    "timeframe",
    "account_id",
    "venue",
)
# Metadata keys the strategy and instance take and the run does not also keep.
_NOT_RUN_FIELDS = (frozenset(_STRATEGY_KEYS) | frozenset(_INSTANCE_KEYS) | {"run_id"}) - {
    "strategy_id",
    "instance_id",
    "parameters_json",
}


@dataclass(frozen=True, slots=True)
class ExportFacts:
    """The export's Metadata and what its data tables tell about the run."""

    metadata: Mapping[str, Any]
    earliest: datetime | None
    latest: datetime | None
    strategy_id: str | None
    strategy_version: str | None
    symbols: Sequence[str]
    account_id: str | None
    timeframe: str | None


def export_run_id(metadata: Mapping[str, Any], sha256: str) -> str:
    """The run id the export's events carry."""
    named = metadata.get("run_id")
    if isinstance(named, str) and named.strip():
        return named.strip()
    return stable_uuid("import", "sqlite", sha256)


def run_opening(facts: ExportFacts, run_id: str, source: str) -> list[SourceItem]:
    """strategy.registered and instance.registered (when a strategy is known), run.started."""
    metadata = facts.metadata
    strategy_id = metadata.get("strategy_id") or facts.strategy_id
    items: list[SourceItem] = []
    instance_id = metadata.get("instance_id")
    if strategy_id is not None:
        strategy = {field: metadata.get(key) for key, field in _STRATEGY_KEYS.items()}
        strategy["strategy_id"] = strategy_id
        if strategy["strategy_version"] is None:
            strategy["strategy_version"] = facts.strategy_version
        items.append(_item(ItemKind.STRATEGY, strategy, len(items), source))
        instance = _instance_fields(facts, strategy_id)
        items.append(_item(ItemKind.INSTANCE, instance, len(items), source))
        if instance_id is None and isinstance(items[-1].decoded, tuple):
            instance_id = _derived_instance_id(items[-1].decoded[0])
    run = {key: value for key, value in metadata.items() if key not in _NOT_RUN_FIELDS}
    defaults = {
        "strategy_id": strategy_id,
        "instance_id": instance_id,
        "run_type": DEFAULT_RUN_TYPE,
        "start_utc": facts.earliest,
    }
    items.append(
        _item(ItemKind.RUN_START, run, len(items), source, run_id=run_id, defaults=defaults)
    )
    return items


def run_closing(facts: ExportFacts, run_id: str, source: str, index: int) -> SourceItem:
    """run.ended at the latest time in the data."""
    ended = {"end_utc": facts.metadata.get("end_utc") or facts.latest, "status": "COMPLETED"}
    return _item(ItemKind.RUNS_STOP, ended, index, source, run_id=run_id)


def _instance_fields(facts: ExportFacts, strategy_id: Any) -> dict[str, Any]:
    instance = {key: facts.metadata.get(key) for key in _INSTANCE_KEYS}
    instance["strategy_id"] = strategy_id
    if instance["symbol"] is None and instance["symbols_json"] is None and facts.symbols:
        if len(facts.symbols) == 1:
            instance["symbol"] = facts.symbols[0]
        else:
            instance["symbols_json"] = list(facts.symbols)
    if instance["timeframe"] is None:
        instance["timeframe"] = facts.timeframe
    if instance["account_id"] is None:
        instance["account_id"] = facts.account_id
    return instance


def _derived_instance_id(event: NewEvent) -> str:
    """The id the projector gives an instance.registered that names none (catalog.py)."""
    instance = decode_stored(event.payload)
    assert isinstance(instance, InstanceRegistered)
    symbols = list(instance.symbols_json or ([instance.symbol] if instance.symbol else []))
    return derive_instance_id(
        instance.strategy_id,
        instance.parameters_json,
        symbols,
        normalize_timeframe(instance.timeframe) if instance.timeframe else None,
        instance.account_id,
        instance.venue,
    )


def _item(
    kind: ItemKind,
    fields: Mapping[str, Any],
    index: int,
    source: str,
    *,
    run_id: str | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> SourceItem:
    value = {key: item for key, item in fields.items() if item is not None}
    raw = RawItem(json_text(value), value)
    fixed = {"run_id": run_id} if run_id is not None else None
    kept = {key: item for key, item in (defaults or {}).items() if item is not None}
    decoded = compat_item(raw, index, source, kind, fixed=fixed, defaults=kept)
    context = {**value, "run_id": run_id, "type": wire_type(event_classes(kind)[0])}
    return item_of(TABLE, raw, index, source, [decoded], context)
