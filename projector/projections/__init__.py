"""Pure projections: for each event type, the rows it reads and the writes it makes.

`reads(event)` names the rows a projection will look at, so the runner can load a whole batch
in a few queries; `project(event, position, state)` returns the writes. Neither opens a
connection, reads a clock, makes a random id or logs (STYLE rule 4).
"""

from collections.abc import Callable, Iterable
from typing import Any

from projector.projections import bars, catalog, executions, oco, orders, runs
from projector.projections.common import partition_of
from projector.state import ProjectionState
from projector.writes import Read, Write
from schema.events import (
    BarClosed,
    Event,
    ExecutionRecorded,
    InstanceRegistered,
    InstrumentDefined,
    OcoGroupCreated,
    OcoOrderLinked,
    OrderSubmitted,
    OrderUpdated,
    RunEnded,
    RunHeartbeat,
    RunStarted,
    StrategyRegistered,
)

_Reads = Callable[[Any], list[Read]]
_Project = Callable[[Any, int, ProjectionState], list[Write]]

_HANDLERS: dict[type[Event], tuple[_Reads, _Project]] = {
    StrategyRegistered: (catalog.reads_strategy, catalog.project_strategy),
    InstanceRegistered: (catalog.reads_instance, catalog.project_instance),
    InstrumentDefined: (catalog.reads_instrument, catalog.project_instrument),
    RunStarted: (runs.reads_run_event, runs.project_run_started),
    RunEnded: (runs.reads_run_event, runs.project_run_ended),
    RunHeartbeat: (runs.reads_run_event, runs.project_heartbeat),
    OrderSubmitted: (orders.reads_order_event, orders.project_order_event),
    OrderUpdated: (orders.reads_order_event, orders.project_order_event),
    ExecutionRecorded: (executions.reads_execution, executions.project_execution),
    OcoGroupCreated: (oco.reads_oco, oco.project_group_created),
    OcoOrderLinked: (oco.reads_oco, oco.project_order_linked),
    BarClosed: (bars.reads_bar, bars.project_bar),
}


def reads(event: Event) -> list[Read]:
    """The rows projecting `event` will look at."""
    return _HANDLERS[type(event)][0](event)


def project(event: Event, position: int, state: ProjectionState) -> list[Write]:
    """The writes that apply `event` (at log `position`) to `state`."""
    return _HANDLERS[type(event)][1](event, position, state)


def reads_of(events: Iterable[Event]) -> list[Read]:
    return [read for event in events for read in reads(event)]


__all__ = ["partition_of", "project", "reads", "reads_of"]
