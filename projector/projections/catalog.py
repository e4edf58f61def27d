"""Strategies, instances and instrument definitions.

Strategies and instances are written by the catalog partition (their own events) and, as
placeholders or derived rows, by run partitions (a run naming an unknown instance). Run
partitions only ever insert-if-absent, and the catalog merges over its own rows only, so the
final rows do not depend on how the partitions interleave. For that, a row written only because
something referred to it carries the same content whichever partition writes it first: its
`last_position` is `REFERENCE_POSITION` (no event of its own yet), and a derived instance keeps
its parameters in the canonical form its id was derived from (none and `{}` are one).
"""

from collections.abc import Mapping

from projector.projections.common import json_text, merged, run_read, touch_run
from projector.state import ProjectionState
from projector.writes import Put, PutIfAbsent, Read, Row, Write
from schema.events import InstanceRegistered, InstrumentDefined, StrategyRegistered
from schema.ids import derive_instance_id
from schema.timeframes import normalize_timeframe

REFERENCE_POSITION = 0  # positions start at 1: "changed by no event of its own"


def derived_parameters_json(parameters: Mapping[str, object] | None) -> str | None:
    """A derived instance's parameters as its id saw them (absent and `{}` are one)."""
    return json_text(parameters or {})


def placeholder_strategy(strategy_id: str) -> PutIfAbsent:
    return PutIfAbsent(
        "strategies",
        {
            "strategy_id": strategy_id,
            "name": None,
            "strategy_version": None,
            "vendor": None,
            "source_ref": None,
            "notes": None,
            "extra_json": None,
            "placeholder": True,
            "last_position": REFERENCE_POSITION,
        },
    )


def instance_row(instance_id: str, position: int, *, derived: bool, placeholder: bool) -> Row:
    return {
        "instance_id": instance_id,
        "strategy_id": None,
        "instance_name": None,
        "parameters_json": None,
        "symbol": None,
        "symbols_json": None,
        "timeframe": None,
        "timeframe_raw": None,
        "account_id": None,
        "venue": None,
        "derived_id": derived,
        "placeholder": placeholder,
        "last_position": position,
    }


def instance_id_of(event: InstanceRegistered) -> str:
    if event.instance_id:
        return event.instance_id
    symbols = list(event.symbols_json or ([event.symbol] if event.symbol else []))
    return derive_instance_id(
        event.strategy_id,
        event.parameters_json,
        symbols,
        normalize_timeframe(event.timeframe) if event.timeframe else None,
        event.account_id,
        event.venue,
    )


def reads_strategy(event: StrategyRegistered) -> list[Read]:
    return [Read("strategies", (event.strategy_id,))]


def project_strategy(
    event: StrategyRegistered, position: int, state: ProjectionState
) -> list[Write]:
    current = state.get("strategies", (event.strategy_id,))
    base = current if current is not None and not current["placeholder"] else {}
    row = merged(
        placeholder_strategy(event.strategy_id).row | base,
        {
            "name": event.name,
            "strategy_version": event.strategy_version,
            "vendor": event.vendor,
            "source_ref": event.source_ref,
            "notes": event.notes,
            "extra_json": json_text(event.extra_json),
        },
    )
    row.update(placeholder=False, last_position=position)
    return [Put("strategies", row)]


def reads_instance(event: InstanceRegistered) -> list[Read]:
    return [Read("strategy_instances", (instance_id_of(event),))]


def project_instance(
    event: InstanceRegistered, position: int, state: ProjectionState
) -> list[Write]:
    instance_id = instance_id_of(event)
    current = state.get("strategy_instances", (instance_id,))
    fresh = instance_row(instance_id, position, derived=not event.instance_id, placeholder=False)
    base = current if current is not None and not current["placeholder"] else fresh
    row = merged(
        base,
        {
            "strategy_id": event.strategy_id,
            "instance_name": event.instance_name,
            "parameters_json": (
                json_text(event.parameters_json)
                if event.instance_id
                else derived_parameters_json(event.parameters_json)
            ),
            "symbol": event.symbol,
            "symbols_json": json_text(event.symbols_json),
            "timeframe": normalize_timeframe(event.timeframe) if event.timeframe else None,
            "timeframe_raw": event.timeframe,
            "account_id": event.account_id,
            "venue": event.venue,
        },
    )
    row.update(placeholder=False, last_position=position)
    return [Put("strategy_instances", row), placeholder_strategy(event.strategy_id)]


def reads_instrument(event: InstrumentDefined) -> list[Read]:
    return [run_read(event.run_id)] if event.run_id else []


def project_instrument(
    event: InstrumentDefined, position: int, state: ProjectionState
) -> list[Write]:
    row = {
        "scope": event.run_id or "*",
        "symbol": event.symbol,
        "venue": event.venue,
        "multiplier": event.multiplier,
        "tick_size": event.tick_size,
        "currency": event.currency,
        "asset_class": event.asset_class,
        "last_position": position,
    }
    writes: list[Write] = [Put("instruments", row)]
    if event.run_id:
        writes.append(
            touch_run(state.get("strategy_runs", (event.run_id,)), event.run_id, event, position)
        )
    return writes
