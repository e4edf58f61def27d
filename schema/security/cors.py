"""Which browser origins may call an app (CORS): none unless `STRATLOG_CORS_ORIGINS` names them.

Closed by default: without origins no CORS middleware is installed, so a preflight gets no
`Access-Control-Allow-*` header and the browser refuses the call. With origins, preflights
from them are answered for the methods and headers the APIs use; no cookies are involved
(credentials travel in headers), so credentialed CORS stays off. `*` allows any origin.
"""

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = (
    "Authorization",
    "X-API-Key",
    "Content-Type",
    "Content-Encoding",
    "Idempotency-Key",
    "Last-Event-ID",
)
EXPOSED_HEADERS = ("Retry-After", "X-Projection-Position", "Location", "WWW-Authenticate")
PREFLIGHT_CACHE_SECONDS = 600


def install_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """Let browsers on `origins` call `app`; with none, leave it closed (add nothing)."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_CACHE_SECONDS,
    )
