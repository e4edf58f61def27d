"""The catalog events a run depends on: its strategy, its instance, the instruments.

A run's own events carry its `run_id`; the registrations of its strategy and instance and the
instrument definitions that apply to every run do not (they are the catalog's). Replaying only
the run's own events would leave the target with placeholder strategy and instance rows and
without the multipliers its PnL was computed with, so a replay carries these as well, merged
into the run's events in log order:
- `strategy.registered` of every strategy the run names, directly (`run.started`) or through
  its instance;
- `instance.registered` of the instances its `run.started` events name (derived ids as the
  projector derives them);
- every `instrument.defined` without a run: they are few, and the run's trades may use any.
The catalog is small beside a run's events, so the selected events are held in memory.
"""

from collections.abc import AsyncIterator, Collection

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncEngine

from projector.projections.catalog import instance_id_of
from replay.records import LoggedEvent
from replay.stores import LogRow, log_rows
from schema.codec import decode_stored
from schema.events import InstanceRegistered, RunStarted, StrategyRegistered
from schema.ids import derive_instance_id
from schema.tables import ingest_events

PAGE_SIZE = 1000
_STRATEGY = "strategy.registered"
_INSTANCE = "instance.registered"
_INSTRUMENT = "instrument.defined"


async def catalog_context(engine: AsyncEngine, run_id: str) -> list[LoggedEvent]:
    """The catalog events `run_id` depends on, in log order."""
    strategies: set[str] = set()
    instances: set[str] = set()
    async for *_, payload in _pages(engine, ingest_events.c.run_id == run_id, ("run.started",)):
        started = decode_stored(payload)
        assert isinstance(started, RunStarted)
        if started.strategy_id is not None:
            strategies.add(started.strategy_id)
        if started.instance_id is not None:
            instances.add(started.instance_id)
        elif started.strategy_id is not None:  # as projector.projections.runs derives it
            instances.add(
                derive_instance_id(
                    started.strategy_id, started.parameters_json, [], None, None, None
                )
            )
    catalog = ingest_events.c.run_id.is_(None)
    async for *_, payload in _pages(engine, catalog, (_INSTANCE,)):
        instance = decode_stored(payload)
        assert isinstance(instance, InstanceRegistered)
        if instance_id_of(instance) in instances:
            strategies.add(instance.strategy_id)
    selected = []
    async for position, event_id, event_type, event_utc, payload in _pages(
        engine, catalog, (_STRATEGY, _INSTANCE, _INSTRUMENT)
    ):
        if event_type != _INSTRUMENT:
            event = decode_stored(payload)
            if isinstance(event, StrategyRegistered) and event.strategy_id not in strategies:
                continue
            if isinstance(event, InstanceRegistered) and instance_id_of(event) not in instances:
                continue
        selected.append(LoggedEvent.from_row(position, event_id, event_type, event_utc, payload))
    return selected


def _pages(
    engine: AsyncEngine, where: ColumnElement[bool], event_types: Collection[str]
) -> AsyncIterator[LogRow]:
    matching = ingest_events.c.event_type.in_(event_types)
    return log_rows(engine, where & matching, after=0, page_size=PAGE_SIZE)
