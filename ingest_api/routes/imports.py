"""Bulk import over HTTP: `POST /api/ingest/upload` and the records of imports.

An upload is a multipart body with the file in a part named `file`: an exporter `.sqlite`
export or NDJSON(.gz) of canonical events (ingest_api/imports). It is answered 202 with the
import's record as soon as the file is on disk; the import runs in the background and
`GET /api/ingest/imports/{import_id}` (the `Location` of the answer) shows its progress, then
its report. See docs/ingest.md, "Bulk import".
"""

import uuid
from http import HTTPStatus
from typing import Annotated, Any, cast

from fastapi import Depends, Query, Request, Response
from starlette.exceptions import HTTPException

from ingest_api.dependencies import SettingsDep
from ingest_api.imports.report import ImportList, ImportReport
from ingest_api.imports.service import ImportService
from ingest_api.imports.upload import FIELD
from ingest_api.responses import ErrorBody, json_response
from ingest_api.routes.guarded import guarded_router

router = guarded_router("imports", "admin")

UPLOAD = "/api/ingest/upload"
IMPORT = "/api/ingest/imports/{import_id}"


async def get_imports(request: Request) -> ImportService:
    return cast(ImportService, request.app.state.imports)


ImportsDep = Annotated[ImportService, Depends(get_imports)]

_ERRORS = {
    400: "Not multipart, no `file` part, or not an import format (.sqlite export, NDJSON).",
    404: "No import with this id.",
    413: "The upload is over STRATLOG_MAX_UPLOAD_BYTES.",
    503: "Every import slot is taken, or the store is unavailable; retry after Retry-After.",
}


def _responses(ok: int, model: type[Any], text: str, *errors: int) -> dict[int | str, Any]:
    documented: dict[int | str, Any] = {ok: {"model": model, "description": text}}
    for status in errors:
        documented[status] = {"model": ErrorBody, "description": _ERRORS[status]}
    return documented


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                    "required": [FIELD],
                }
            }
        },
    }
}


@router.post(
    UPLOAD,
    status_code=HTTPStatus.ACCEPTED,
    responses=_responses(202, ImportReport, "Received; the import runs.", 400, 413, 503),
    openapi_extra=_UPLOAD_BODY,
)
async def upload(request: Request, imports: ImportsDep, settings: SettingsDep) -> Response:
    """Import a file (a .sqlite export or NDJSON/gz of events) in the background; 202."""
    record = await imports.receive(request, max_bytes=settings.max_upload_bytes)
    location = IMPORT.format(import_id=record.import_id)
    return json_response(
        ImportReport.of(record), status_code=HTTPStatus.ACCEPTED, headers={"Location": location}
    )


@router.get(IMPORT, responses=_responses(200, ImportReport, "The import.", 404, 503))
async def get_import(import_id: str, imports: ImportsDep) -> Response:
    """An import's progress, then its report: new, duplicate and rejected items per table."""
    record = await imports.store.get(import_id, imports.clock()) if _is_uuid(import_id) else None
    if record is None:
        raise HTTPException(HTTPStatus.NOT_FOUND, f"no import {import_id}")
    return json_response(ImportReport.of(record))


@router.get("/api/ingest/imports", responses=_responses(200, ImportList, "Imports.", 503))
async def list_imports(
    imports: ImportsDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Response:
    """The latest imports (uploads and `stratlog import` alike), newest first."""
    records = await imports.store.recent(limit, imports.clock())
    return json_response(ImportList(items=[ImportReport.of(r) for r in records]))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
