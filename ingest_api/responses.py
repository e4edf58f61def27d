"""What the ingest API answers: response models, separate from what it reads and stores.

Item reports leave out the fields that do not apply to them (`position` of a rejected item,
`errors` of an accepted one); every other field is always present, null when unknown.
"""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"  # appended now
    DUPLICATE = "duplicate"  # already in the log with the same content: nothing appended
    CONFLICT = "conflict"  # event_id already in the log with other content: quarantined
    REJECTED = "rejected"  # invalid: quarantined


class ItemError(BaseModel):
    """One reason an item was refused."""

    field: str = Field(description='Dotted path of the offending field; "" for the whole item.')
    message: str


class ItemResult(BaseModel):
    """What happened to one item of a request."""

    index: int = Field(description="0-based position of the item in the request.")
    status: ItemStatus
    event_id: str | None = Field(None, description="Client's or derived; null if unknown.")
    position: int | None = Field(None, description="Log position (the original's if duplicate).")
    quarantine_id: int | None = Field(None, description="Quarantine row keeping a refused item.")
    errors: list[ItemError] | None = None

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class BatchResponse(BaseModel):
    """The per-item report of a batch. Positions span the batch's events now in the log
    (accepted and duplicates); null when there are none."""

    accepted: int
    duplicates: int
    rejected: int = Field(description="Rejected and conflicting items (all quarantined).")
    first_position: int | None
    last_position: int | None
    items: list[ItemResult]


class RunStartResponse(BaseModel):
    """The run a `POST /api/runs/start` created, or the one an earlier retry created."""

    run_id: str
    strategy_id: str | None
    status: str
    start_utc: datetime | None
    position: int
    duplicate: bool = Field(description="True when this answers a retry of an earlier start.")


class RunStopResponse(BaseModel):
    """The end recorded for a run (the first one, on a retry)."""

    run_id: str
    status: str
    end_utc: datetime | None
    position: int
    duplicate: bool


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable name, e.g. payload_too_large.")
    message: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


def json_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response of a model, serialized with orjson."""
    content = orjson.dumps(model.model_dump(mode="json"))
    return Response(content, status_code, headers, media_type="application/json")


_ERROR_TEXT = {
    400: "Malformed body: not JSON, corrupt gzip, or the wrong top-level shape.",
    409: "The Idempotency-Key was used before for other content.",
    413: "Body, decompressed body or item count over the limit.",
    415: "Content-Encoding other than gzip, deflate or identity.",
    503: "Overloaded or store unavailable; retry after Retry-After seconds.",
}


def documented(
    ok: dict[int, tuple[type[BaseModel], str]], *errors: int
) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for OpenAPI: its answers and error statuses."""
    documented: dict[int | str, dict[str, Any]] = {
        status: {"model": model, "description": text} for status, (model, text) in ok.items()
    }
    for status in (400, 413, 415, 503, *errors):
        documented[status] = {"model": ErrorBody, "description": _ERROR_TEXT[status]}
    return documented
