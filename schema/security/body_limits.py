"""A bound on every request body an app receives, whoever reads it: the route itself, or
FastAPI, which reads a JSON or form body whole (before any credential is checked).

ASGI middleware. A declared Content-Length over the limit is answered 413 at once, the body
unread; the server (uvicorn) never delivers more than a declared length. A body without one
(chunked) is counted as the app reads it: once past the limit the app's read fails, and
whatever the app would answer is replaced by the 413. Nothing is buffered here, so a route
that streams its body (an upload) keeps doing so. A request with neither header has no body
(HTTP/1.1) and passes untouched. The 413 has the error body both apps use.
"""

from collections.abc import Mapping
from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CODE = "payload_too_large"
JSON_BODY_BYTES = 1024 * 1024  # the default for APIs whose bodies are small JSON documents


class _TooLarge(Exception):
    """Raised into the app by `receive` once the body is past the limit."""


class BodySizeLimit:
    """Request bodies over `max_bytes` (or the limit `paths` gives a path) are answered 413."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, paths: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = dict(paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope["path"], self.max_bytes)
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse(limit)(scope, receive, send)
        elif declared is None and "transfer-encoding" in headers:
            await self._counted(scope, receive, send, limit)
        else:  # no body, or one the server holds to its declared length
            await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        exceeded = started = False

        async def counting() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def unless_exceeded(message: Message) -> None:
            nonlocal started
            if not exceeded:  # else the app is answering a read it could not finish
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, counting, unless_exceeded)
        except Exception:
            if not exceeded:  # the app's own failure, not the read this refused
                raise
        if exceeded and not started:
            await refuse(limit)(scope, receive, send)


def refuse(limit: int) -> JSONResponse:
    message = f"body exceeds {limit} bytes"
    body = {"error": {"code": CODE, "message": message}}
    return JSONResponse(body, status_code=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
