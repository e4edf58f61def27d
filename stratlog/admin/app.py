"""The admin ASGI application: `stratlog.admin.app:app` (the Procfile's `admin`), or
`create_admin_app(settings)`; `stratlog serve` mounts it beside ingest and read.

The lifespan opens the job records (creating the log's tables when this process starts
first) and, on shutdown, cancels the jobs it runs, which are recorded interrupted. Errors
are answered with the ingest API's error body, so every stratlog route fails alike.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI, Request, Response

from ingest_api.errors import error_response, install_error_handlers
from projector.settings import ProjectorSettings
from schema.security.body_limits import JSON_BODY_BYTES, BodySizeLimit
from schema.security.cors import install_cors
from schema.security.http import authentication
from stratlog.admin.errors import (
    AdminError,
    JobNotFound,
    JobNotRunningHere,
    JobStoreUnavailable,
)
from stratlog.admin.routes import router
from stratlog.admin.service import AdminJobs, Clock, utc_now
from stratlog.admin.store import AdminJobStore
from stratlog.log_tables import create_log_tables

STATUS = {
    JobNotFound: HTTPStatus.NOT_FOUND,
    JobNotRunningHere: HTTPStatus.CONFLICT,
    JobStoreUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


def create_admin_app(
    settings: ProjectorSettings | None = None,
    *,
    clock: Clock = utc_now,
    docs_url: str = "/docs",
    openapi_url: str = "/openapi.json",
) -> FastAPI:
    """An admin app over the stores `settings` name (from the environment by default)."""
    settings = settings or ProjectorSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await create_log_tables(settings)  # this process may start before ingest
        async with authentication(app, settings, clock=clock):
            jobs = AdminJobs(AdminJobStore.open(settings), clock=clock)
            app.state.jobs = jobs
            try:
                yield
            finally:
                await jobs.close()

    app = FastAPI(
        title="stratlog admin",
        version="1",
        summary="Rebuild, verify and replay as jobs with progress (admin scope).",
        lifespan=lifespan,
        docs_url=docs_url,
        openapi_url=openapi_url,
    )
    app.state.settings = settings
    app.include_router(router)
    install_error_handlers(app, retry_after_seconds=1)

    async def refused(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdminError)
        status = next(s for cls, s in STATUS.items() if isinstance(exc, cls))
        return error_response(status, exc.code, str(exc))

    app.add_exception_handler(AdminError, refused)
    app.add_middleware(BodySizeLimit, max_bytes=JSON_BODY_BYTES)
    install_cors(app, settings.cors_origins)
    return app


app = create_admin_app()
