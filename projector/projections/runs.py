"""Run lifecycle: strategy_runs from run.started / run.ended / run.heartbeat.

A run that ended keeps its final status even if a late run.started arrives after (the
exporters flush independent buffers). A run started without an instance gets one derived
from its strategy and parameters, so restarting the same configuration maps to the same
instance. Staleness (RUNNING without news for a while) needs a clock and is computed by
readers from `last_heartbeat_utc` / `last_event_utc`.
"""

from projector.projections.catalog import (
    REFERENCE_POSITION,
    derived_parameters_json,
    instance_row,
    placeholder_strategy,
)
from projector.projections.common import json_text, later, merged, run_read, touched_run
from projector.state import ProjectionState
from projector.writes import Put, PutIfAbsent, Read, Write
from schema.enums import RunStatus
from schema.events import RunEnded, RunHeartbeat, RunStarted
from schema.ids import derive_instance_id

FINAL_RUN_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED})


def reads_run_event(event: RunStarted | RunEnded | RunHeartbeat) -> list[Read]:
    return [run_read(event.run_id)]


def project_run_started(event: RunStarted, position: int, state: ProjectionState) -> list[Write]:
    run = touched_run(state.get("strategy_runs", (event.run_id,)), event.run_id, event, position)
    writes: list[Write] = []
    instance_id = event.instance_id
    if instance_id is None and event.strategy_id is not None:
        instance_id = derive_instance_id(
            event.strategy_id, event.parameters_json, [], None, None, None
        )
        derived = instance_row(instance_id, REFERENCE_POSITION, derived=True, placeholder=False)
        derived.update(
            strategy_id=event.strategy_id,
            parameters_json=derived_parameters_json(event.parameters_json),
        )
        writes.append(PutIfAbsent("strategy_instances", derived))
    elif instance_id is not None:
        writes.append(
            PutIfAbsent(
                "strategy_instances",
                instance_row(instance_id, REFERENCE_POSITION, derived=False, placeholder=True),
            )
        )
    if event.strategy_id is not None:
        writes.append(placeholder_strategy(event.strategy_id))
    status = run["status"]
    if status not in FINAL_RUN_STATUSES:
        status = event.status
    run = merged(
        run,
        {
            "instance_id": instance_id,
            "strategy_id": event.strategy_id,
            "run_type": event.run_type,
            "start_utc": event.start_utc,
            "engine_version": event.engine_version,
            "data_source": event.data_source,
            "data_range_json": json_text(event.data_range),
            "initial_balance": event.initial_balance,
            "base_currency": event.base_currency,
            "periods_per_year": event.periods_per_year,
            "parameters_json": json_text(event.parameters_json),
            "metrics_json": json_text(event.metrics_json),
        },
    )
    run.update(status=status, placeholder=False)
    return [Put("strategy_runs", run), *writes]


def project_run_ended(event: RunEnded, position: int, state: ProjectionState) -> list[Write]:
    run = touched_run(state.get("strategy_runs", (event.run_id,)), event.run_id, event, position)
    run = merged(
        run,
        {
            "status": event.status,
            "end_utc": event.end_utc,
            "end_reason": event.reason,
            "metrics_json": json_text(event.metrics_json),
        },
    )
    return [Put("strategy_runs", run)]


def project_heartbeat(event: RunHeartbeat, position: int, state: ProjectionState) -> list[Write]:
    run = touched_run(state.get("strategy_runs", (event.run_id,)), event.run_id, event, position)
    run["last_heartbeat_utc"] = later(run["last_heartbeat_utc"], event.ts_utc)
    return [Put("strategy_runs", run)]
