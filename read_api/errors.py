"""Why the read API cannot answer, and the one place errors become HTTP statuses.

Every refusal is answered as `{"error": {"code", "message"}}` with the status from `STATUS`:
a store that cannot be reached is 503 with Retry-After (the client may try again), an unknown
id 404, a malformed query or body 422, a body that is not even text 400 (FastAPI's own
refusal), a `min_position` not reached in time 409 (with the position reached), no valid
credential 401 and too little scope 403 (schema/security). Driver
errors are translated to `StoreUnavailable` where the stores are read. Anything else is a
bug: logged, and answered 500 with no detail.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from schema.security.errors import (
    CredentialsUnavailable,
    Forbidden,
    SecurityError,
    Unauthenticated,
    UsernameTaken,
    WeakPassword,
)
from schema.security.rate_limits import RateLimited

logger = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 1


class ReadApiError(Exception):
    """Base of every refusal; `code` is the stable machine-readable name."""

    code = "bad_request"


class StoreUnavailable(ReadApiError):
    """The log store or the projection store could not be read (down, or not created yet).

    `detail` (the driver's text, which may quote SQL, or a file's path) is logged, never sent.
    """

    code = "store_unavailable"

    def __init__(self, store: str, detail: str) -> None:
        super().__init__(f"the {store} store cannot be read; retry later")
        self.store = store
        self.detail = detail


class NotFound(ReadApiError):
    """No row with the id the path names."""

    code = "not_found"


class InvalidParameter(ReadApiError):
    """A query value the framework could not check (a cursor that is not one of ours)."""

    code = "invalid_request"


class NotYetProjected(ReadApiError):
    """`min_position` was not reached before the read-your-writes timeout."""

    code = "not_yet_projected"

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(
            f"the projections reflect the log up to position {reached}, not yet {wanted}; "
            "try again later"
        )
        self.wanted = wanted
        self.reached = reached


STATUS: dict[type[ReadApiError | SecurityError], HTTPStatus] = {
    StoreUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    NotFound: HTTPStatus.NOT_FOUND,
    NotYetProjected: HTTPStatus.CONFLICT,
    InvalidParameter: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReadApiError: HTTPStatus.BAD_REQUEST,
    Unauthenticated: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    RateLimited: HTTPStatus.TOO_MANY_REQUESTS,  # with its Retry-After
    UsernameTaken: HTTPStatus.CONFLICT,
    WeakPassword: HTTPStatus.UNPROCESSABLE_ENTITY,
    CredentialsUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    SecurityError: HTTPStatus.FORBIDDEN,
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    position: int | None = Field(
        None, description="not_yet_projected: the position the projections did reach."
    )
    min_position: int | None = Field(None, description="not_yet_projected: the one asked for.")


class ErrorBody(BaseModel):
    """What every error answer carries."""

    error: ErrorDetail


# For routes that take a body: refusals before they run (FastAPI, schema/security/body_limits).
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be read as JSON text."},
    413: {"model": ErrorBody, "description": "The body is over the size limit."},
}


def status_of(exc: ReadApiError | SecurityError) -> HTTPStatus:
    """The HTTP status of an error (the most specific class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return HTTPStatus.BAD_REQUEST


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **detail: int,
) -> Response:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, **detail))
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=dict(headers or {})
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every known error with its status and the error body."""

    async def known(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReadApiError | SecurityError)
        status = status_of(exc)
        if isinstance(exc, SecurityError):
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            headers = retry if status == HTTPStatus.SERVICE_UNAVAILABLE else exc.headers
            return error_response(status, exc.code, str(exc), headers)
        if isinstance(exc, NotYetProjected):
            # The header every answer carries; the wait may be retried right away.
            reached = {"X-Projection-Position": str(exc.reached)}
            return error_response(
                status, exc.code, str(exc), reached, position=exc.reached, min_position=exc.wanted
            )
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            detail = exc.detail if isinstance(exc, StoreUnavailable) else None
            logger.warning("a store could not be read", error=str(exc), detail=detail)
            return error_response(
                status, exc.code, str(exc), {"Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        return error_response(status, exc.code, str(exc))

    async def framework(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = HTTPStatus(exc.status_code)
        code = status.phrase.lower().replace(" ", "_").replace("-", "_")
        return error_response(status, code, str(exc.detail), exc.headers)

    async def invalid_request(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request", message)

    async def unexpected(_request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error while serving a request", exc_info=exc)
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")

    app.add_exception_handler(ReadApiError, known)
    app.add_exception_handler(SecurityError, known)
    app.add_exception_handler(HTTPException, framework)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
