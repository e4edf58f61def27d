"""Why the ingest API refuses a whole request, and the one place errors become HTTP statuses.

Per-item problems are not exceptions: they become quarantined rejections reported item by item
(see `ingest_api.submission`). The exceptions here refuse a request as a whole; every one of
them, the log store's errors and the framework's own (unknown route, wrong method) is answered
as `{"error": {"code", "message"}}` with the status from `STATUS` (security refusals, from
schema/security, included: 401 with its challenge, 403). A store failure's detail is
logged, not sent. Anything else is a bug: it is logged and answered 500 with no detail, never
a stack trace.
"""

from collections.abc import Mapping
from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from ingest_api.log_store import LogStoreError, Overloaded, StoreUnavailable
from ingest_api.responses import ErrorBody, ErrorDetail, json_response
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


class IngestError(Exception):
    """Base of every refusal of a whole request; `code` is the stable machine-readable name."""

    code = "bad_request"


class MalformedBody(IngestError):
    """The body is not what the route reads (not JSON, bad gzip, wrong top-level shape)."""

    code = "malformed_body"


class PayloadTooLarge(IngestError):
    """The body, its decompressed form or its item count is over the configured limit."""

    code = "payload_too_large"


class UnsupportedEncoding(IngestError):
    """A Content-Encoding other than identity, gzip or deflate."""

    code = "unsupported_encoding"


class IdempotencyKeyReused(IngestError):
    """An Idempotency-Key already used for a request with other content."""

    code = "idempotency_key_reused"


STATUS: dict[type[Exception], tuple[HTTPStatus, str]] = {
    MalformedBody: (HTTPStatus.BAD_REQUEST, MalformedBody.code),
    PayloadTooLarge: (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, PayloadTooLarge.code),
    UnsupportedEncoding: (HTTPStatus.UNSUPPORTED_MEDIA_TYPE, UnsupportedEncoding.code),
    IdempotencyKeyReused: (HTTPStatus.CONFLICT, IdempotencyKeyReused.code),
    IngestError: (HTTPStatus.BAD_REQUEST, IngestError.code),
    Overloaded: (HTTPStatus.SERVICE_UNAVAILABLE, "overloaded"),
    StoreUnavailable: (HTTPStatus.SERVICE_UNAVAILABLE, "store_unavailable"),
    LogStoreError: (HTTPStatus.SERVICE_UNAVAILABLE, "store_unavailable"),
    Unauthenticated: (HTTPStatus.UNAUTHORIZED, Unauthenticated.code),
    Forbidden: (HTTPStatus.FORBIDDEN, Forbidden.code),
    RateLimited: (HTTPStatus.TOO_MANY_REQUESTS, RateLimited.code),  # with its Retry-After
    UsernameTaken: (HTTPStatus.CONFLICT, UsernameTaken.code),
    WeakPassword: (HTTPStatus.UNPROCESSABLE_ENTITY, WeakPassword.code),
    CredentialsUnavailable: (HTTPStatus.SERVICE_UNAVAILABLE, CredentialsUnavailable.code),
    SecurityError: (HTTPStatus.FORBIDDEN, SecurityError.code),
}


def status_of(exc: Exception) -> tuple[HTTPStatus, str]:
    """The HTTP status and error code for an exception (the most specific class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error"


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The JSON body every error answer has."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return json_response(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    """Answer every known error with its status and the error body."""
    retry_after = {"Retry-After": str(retry_after_seconds)}

    async def known(_request: Request, exc: Exception) -> Response:
        status, code = status_of(exc)
        headers: Mapping[str, str] | None = None
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            headers = retry_after
        elif isinstance(exc, SecurityError):
            headers = exc.headers  # a 401's WWW-Authenticate challenge
        message = str(exc)
        if isinstance(exc, Overloaded):
            logger.info("ingest overloaded", error=message)
        elif isinstance(exc, LogStoreError | CredentialsUnavailable):
            # The driver's text may quote SQL and other clients' rows: logged, never sent.
            logger.warning("log store unavailable", error=message)
            message = "the event log is unavailable; retry later"
        return error_response(status, code, message, headers)

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

    for cls in STATUS:
        app.add_exception_handler(cls, known)
    app.add_exception_handler(HTTPException, framework)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
