"""OCO and bracket groups and the role of each linked order (ENTRY, TP, SL, EXIT)."""

from projector.projections.common import json_text, merged, run_read, touch_run
from projector.state import ProjectionState
from projector.writes import Put, Read, Row, Write
from schema.events import OcoGroupCreated, OcoOrderLinked


def _group_row(run_id: str, group_id: str, position: int) -> Row:
    return {
        "run_id": run_id,
        "oco_group_id": group_id,
        "kind": None,
        "created_utc": None,
        "extra_json": None,
        "placeholder": True,
        "last_position": position,
    }


def reads_oco(event: OcoGroupCreated | OcoOrderLinked) -> list[Read]:
    return [run_read(event.run_id), Read("order_oco_groups", (event.run_id, event.oco_group_id))]


def project_group_created(
    event: OcoGroupCreated, position: int, state: ProjectionState
) -> list[Write]:
    current = state.get("order_oco_groups", (event.run_id, event.oco_group_id))
    group = current or _group_row(event.run_id, event.oco_group_id, position)
    group = merged(
        group,
        {
            "kind": event.kind,
            "created_utc": event.created_utc,
            "extra_json": json_text(event.extra_json),
        },
    )
    group.update(placeholder=False, last_position=position)
    run = state.get("strategy_runs", (event.run_id,))
    return [Put("order_oco_groups", group), touch_run(run, event.run_id, event, position)]


def project_order_linked(
    event: OcoOrderLinked, position: int, state: ProjectionState
) -> list[Write]:
    writes: list[Write] = []
    if state.get("order_oco_groups", (event.run_id, event.oco_group_id)) is None:
        writes.append(
            Put("order_oco_groups", _group_row(event.run_id, event.oco_group_id, position))
        )
    link = {
        "run_id": event.run_id,
        "oco_group_id": event.oco_group_id,
        "order_id": event.order_id,
        "role": event.role,
        "position_impact": event.position_impact,
        "linked_utc": event.linked_utc,
        "last_position": position,
    }
    run = state.get("strategy_runs", (event.run_id,))
    return [Put("order_oco_links", link), *writes, touch_run(run, event.run_id, event, position)]
