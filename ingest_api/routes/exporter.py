"""The existing exporters' routes (DESIGN §4), kept path for path and field for field.

`POST /api/ingest/event/{kind}` takes one item and answers with its report (201 new, 200
duplicate, 422 rejected and quarantined); `POST /api/ingest/batch/{orders,executions,bars}`
and `POST /api/ingest/stream` answer with a batch report. The path decides the event type;
`ingest_api.compat` says how an item becomes a canonical event.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response

from ingest_api.body import check_item_count, item_of, parse_value, read_body, split_items
from ingest_api.compat import BATCH_KINDS, EVENT_KINDS, STREAM_SECTIONS, ItemKind
from ingest_api.dependencies import LimitsDep, SubmitterDep
from ingest_api.errors import MalformedBody
from ingest_api.items import Decoded, compat_item, reject
from ingest_api.log_store import FieldError
from ingest_api.openapi import compat_item_name, json_body, ref, stream_body
from ingest_api.responses import BatchResponse, ItemResult, documented, json_response
from ingest_api.routes.guarded import guarded_router
from ingest_api.submission import batch_report, single_status

router = guarded_router("exporter compat", "ingest")

Endpoint = Callable[[Request, LimitsDep, SubmitterDep], Awaitable[Response]]

_SINGLE_RESPONSES = documented(
    {
        200: (ItemResult, "Already in the log (a retry): nothing appended."),
        201: (ItemResult, "Appended."),
        422: (ItemResult, "Rejected or conflicting; kept in quarantine."),
    }
)
_BATCH_RESPONSES = documented(
    {
        200: (BatchResponse, "At least one item is in the log (or the batch was empty)."),
        422: (BatchResponse, "Every item was rejected or conflicting; all are quarantined."),
    }
)
_SUMMARIES = {
    ItemKind.STRATEGY: "Register a strategy (strategy.registered).",
    ItemKind.INSTANCE: "Register a strategy instance (instance.registered).",
    ItemKind.RUN_START: "Start a run with a client-made run_id (run.started).",
    ItemKind.ORDER: "Record an order (order.submitted if NEW, else order.updated).",
    ItemKind.EXECUTION: "Record a fill (execution.recorded).",
    ItemKind.BAR: "Record a closed bar (bar.closed).",
}


def _single_event_route(kind: ItemKind) -> Endpoint:
    source = f"/api/ingest/event/{kind.value}"

    async def post_event(request: Request, limits: LimitsDep, submitter: SubmitterDep) -> Response:
        body = await read_body(request, limits)
        raw = item_of(parse_value(body), limits.item)
        [item] = await submitter.submit([compat_item(raw, 0, source, kind)])
        return json_response(item, status_code=single_status(item))

    post_event.__doc__ = _SUMMARIES[kind]
    router.add_api_route(
        source,
        post_event,
        methods=["POST"],
        name=f"post_event_{kind.value}",
        responses=_SINGLE_RESPONSES,
        openapi_extra=json_body(ref(compat_item_name(kind))),
    )
    return post_event


def _batch_route(name: str, kind: ItemKind) -> Endpoint:
    source = f"/api/ingest/batch/{name}"

    async def post_batch(request: Request, limits: LimitsDep, submitter: SubmitterDep) -> Response:
        body = await read_body(request, limits)
        content_type = request.headers.get("content-type")
        raw_items = split_items(body, content_type, limits.max_items, limits.item)
        decoded = [compat_item(raw, i, source, kind) for i, raw in enumerate(raw_items)]
        report, status = batch_report(await submitter.submit(decoded))
        return json_response(report, status_code=status)

    post_batch.__doc__ = f"Record a batch of {name} (a JSON array of {kind.value} items)."
    router.add_api_route(
        source,
        post_batch,
        methods=["POST"],
        name=f"post_batch_{name}",
        responses=_BATCH_RESPONSES,
        openapi_extra=json_body({"type": "array", "items": ref(compat_item_name(kind))}),
    )
    return post_batch


for _kind in EVENT_KINDS:
    _single_event_route(_kind)
for _name, _kind in BATCH_KINDS.items():
    _batch_route(_name, _kind)

STREAM_SOURCE = "/api/ingest/stream"


@router.post(STREAM_SOURCE, responses=_BATCH_RESPONSES, openapi_extra=stream_body())
async def post_stream(request: Request, limits: LimitsDep, submitter: SubmitterDep) -> Response:
    """Record orders, executions and bars in one call: `{orders, executions, bars}`."""
    value = parse_value(await read_body(request, limits))
    if not isinstance(value, dict):
        raise MalformedBody("expected an object: {orders: [...], executions: [...], bars: [...]}")
    sections = [(key, section) for key, section in value.items() if section is not None]
    check_item_count(sum(_count(section) for _, section in sections), limits.max_items)
    decoded: list[Decoded] = []
    for key, section in sections:
        kind = STREAM_SECTIONS.get(key)
        for item in section if isinstance(section, list) else [section]:
            raw = item_of(item, limits.item)
            if kind is None:
                error = FieldError(key, "unknown section; expected orders, executions or bars")
                decoded.append(reject(raw, len(decoded), STREAM_SOURCE, [error], {}))
            else:
                decoded.append(compat_item(raw, len(decoded), STREAM_SOURCE, kind))
    report, status = batch_report(await submitter.submit(decoded))
    return json_response(report, status_code=status)


def _count(section: Any) -> int:
    return len(section) if isinstance(section, list) else 1
