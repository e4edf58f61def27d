"""The canonical ingest route: `POST /api/v1/events`.

Items are flat canonical events (`{"type", "version"?, "event_id"?, ...fields}`) in a JSON
array, a single object, or NDJSON, optionally gzip- or deflate-compressed. Unknown fields are
refused: this is the strict contract, the compat routes are the lenient one.
"""

from fastapi import Request, Response

from ingest_api.body import read_body, split_items
from ingest_api.dependencies import LimitsDep, SubmitterDep
from ingest_api.items import canonical_item
from ingest_api.openapi import canonical_body
from ingest_api.responses import BatchResponse, documented, json_response
from ingest_api.routes.guarded import guarded_router
from ingest_api.submission import batch_report

router = guarded_router("events", "ingest")

SOURCE = "/api/v1/events"

_RESPONSES = documented(
    {
        200: (BatchResponse, "At least one item is in the log (or the batch was empty)."),
        422: (BatchResponse, "Every item was rejected or conflicting; all are quarantined."),
    }
)


@router.post(SOURCE, responses=_RESPONSES, openapi_extra=canonical_body())
async def post_events(request: Request, limits: LimitsDep, submitter: SubmitterDep) -> Response:
    """Append canonical events: a JSON array, one object or NDJSON, optionally gzip."""
    body = await read_body(request, limits)
    content_type = request.headers.get("content-type")
    raw_items = split_items(body, content_type, limits.max_items, limits.item)
    decoded = [canonical_item(raw, index, SOURCE) for index, raw in enumerate(raw_items)]
    report, status = batch_report(await submitter.submit(decoded))
    return json_response(report, status_code=status)
