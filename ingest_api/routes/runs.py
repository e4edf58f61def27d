"""Run lifecycle routes of the NuGet client: `POST /api/runs/start` and `/api/runs/{id}/stop`.

Start assigns the run id. With an `Idempotency-Key` header the run id and event id derive from
the key, so a retry answers 200 with the original run (or 409 if the key came with another
strategy or parameters); without one every call starts a new run. Stop records `run.ended`
under an id derived from the run, so a retried stop answers 200 with the first one's position.
Unknown runs may be stopped: the projector flags orphans later.
"""

import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated

from fastapi import Header, Request, Response

from ingest_api.body import item_of, parse_value, read_body
from ingest_api.compat import ItemKind
from ingest_api.dependencies import ClockDep, LimitsDep, LogDep, SubmitterDep
from ingest_api.errors import IdempotencyKeyReused
from ingest_api.items import Decoded, compat_item
from ingest_api.log_store import EventLog, NewEvent
from ingest_api.openapi import compat_item_name, json_body, ref
from ingest_api.responses import (
    ItemResult,
    ItemStatus,
    RunStartResponse,
    RunStopResponse,
    documented,
    json_response,
)
from ingest_api.routes.guarded import guarded_router
from ingest_api.submission import Submitter, single_status
from schema.codec import decode_stored
from schema.events import RunEnded, RunStarted
from schema.ids import stable_uuid

router = guarded_router("runs", "ingest")

START_SOURCE = "/api/runs/start"
STOP_SOURCE = "/api/runs/{run_id}/stop"

_START_RESPONSES = documented(
    {
        200: (RunStartResponse, "A retry with the same Idempotency-Key: the original run."),
        201: (RunStartResponse, "A new run."),
        422: (ItemResult, "Invalid; kept in quarantine."),
    },
    409,
)
_STOP_RESPONSES = documented(
    {
        200: (RunStopResponse, "Already stopped: the first stop's record."),
        201: (RunStopResponse, "Stopped."),
        422: (ItemResult, "Invalid; kept in quarantine."),
    }
)
_START_BODY = json_body(ref(compat_item_name(ItemKind.RUNS_START)))
_STOP_BODY = json_body(
    {"anyOf": [ref(compat_item_name(ItemKind.RUNS_STOP)), {"type": "null"}]}, required=False
)

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Makes a retried start safe."),
]


@router.post(START_SOURCE, responses=_START_RESPONSES, openapi_extra=_START_BODY)
async def start_run(
    request: Request,
    limits: LimitsDep,
    submitter: SubmitterDep,
    log: LogDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Start a run; the server assigns its run_id (derived from an Idempotency-Key if sent)."""
    value = parse_value(await read_body(request, limits))
    key = idempotency_key.strip() if idempotency_key else None
    if isinstance(value, dict) and "run_id" in value:  # the server names runs: keep the client's
        value = {**value, "client_run_id": value.pop("run_id")}
    decoded = compat_item(
        item_of(value, limits.item),
        0,
        START_SOURCE,
        ItemKind.RUNS_START,
        fixed={"run_id": stable_uuid("run", key) if key else str(uuid.uuid4())},
        defaults={"start_utc": clock()},
        event_id=stable_uuid("runs/start", key) if key else None,
    )
    recorded = await _record_once(log, submitter, decoded, repeatable=key is not None)
    if isinstance(recorded, ItemResult):
        return json_response(recorded, status_code=single_status(recorded))
    started = decode_stored(recorded.payload)
    assert isinstance(started, RunStarted)
    assert isinstance(decoded, NewEvent)  # only an event can have been recorded
    if recorded.duplicate and not _same_run(started, decoded):
        raise IdempotencyKeyReused(
            "this Idempotency-Key started a run with another strategy_id or parameters"
        )
    answer = RunStartResponse(
        run_id=started.run_id,
        strategy_id=started.strategy_id,
        status=started.status,
        start_utc=started.start_utc,
        position=recorded.position,
        duplicate=recorded.duplicate,
    )
    return json_response(answer, status_code=recorded.status)


@router.post(STOP_SOURCE, responses=_STOP_RESPONSES, openapi_extra=_STOP_BODY)
async def stop_run(
    run_id: str,
    request: Request,
    limits: LimitsDep,
    submitter: SubmitterDep,
    log: LogDep,
    clock: ClockDep,
) -> Response:
    """Stop a run (run.ended); the body is optional: {status?, end_utc?, reason?, metrics_json?}."""
    body = await read_body(request, limits)
    value = parse_value(body) if body.strip() else None
    value = {} if value is None else value
    decoded = compat_item(
        item_of(value, limits.item),
        0,
        STOP_SOURCE,
        ItemKind.RUNS_STOP,
        fixed={"run_id": run_id},
        defaults={"end_utc": clock()},
        event_id=stable_uuid("runs/stop", run_id),
    )
    recorded = await _record_once(log, submitter, decoded, repeatable=True)
    if isinstance(recorded, ItemResult):
        return json_response(recorded, status_code=single_status(recorded))
    ended = decode_stored(recorded.payload)
    assert isinstance(ended, RunEnded)
    answer = RunStopResponse(
        run_id=ended.run_id,
        status=ended.status,
        end_utc=ended.end_utc,
        position=recorded.position,
        duplicate=recorded.duplicate,
    )
    return json_response(answer, status_code=recorded.status)


@dataclass(frozen=True, slots=True)
class _Recorded:
    """The event a route stands for: the one appended now, or the one a first call stored."""

    payload: str
    position: int
    duplicate: bool

    @property
    def status(self) -> HTTPStatus:
        return HTTPStatus.OK if self.duplicate else HTTPStatus.CREATED


async def _record_once(
    log: EventLog, submitter: Submitter, decoded: Decoded, *, repeatable: bool
) -> _Recorded | ItemResult:
    """Append `decoded` unless its (route-derived) id is stored already; the report if refused.

    Looking first means a repeat with other incidental content (a later clock time) is
    answered from the stored event instead of being quarantined as a conflict.
    """
    stored = None
    if repeatable and isinstance(decoded, NewEvent):
        stored = await log.get(decoded.event_id)
    if stored is not None:
        return _Recorded(stored.payload, stored.position, duplicate=True)
    [item] = await submitter.submit([decoded])
    if not isinstance(decoded, NewEvent) or item.position is None:
        return item
    if item.status is ItemStatus.ACCEPTED:
        return _Recorded(decoded.payload, item.position, duplicate=False)
    if item.status is not ItemStatus.DUPLICATE:  # the id names another event: its report
        return item
    stored = await log.get(decoded.event_id)  # a concurrent repeat got there first
    assert stored is not None
    return _Recorded(stored.payload, stored.position, duplicate=True)


def _same_run(started: RunStarted, retry: NewEvent) -> bool:
    again = decode_stored(retry.payload)
    assert isinstance(again, RunStarted)
    return (started.strategy_id, started.parameters_json) == (
        again.strategy_id,
        again.parameters_json,
    )
