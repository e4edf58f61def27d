"""The ingest ASGI application: `ingest_api.app:app`, or `create_app(settings)` to build one.

The lifespan opens the event log (tables created if missing, the credentials' among them),
the authenticator every route asks (schema/security) and the file imports that run in the
background (ingest_api/imports), and closes them after the last request: running
imports are cancelled (recorded interrupted), then what is still queued is committed. The
clock and the `after_append` hook (where the projector's doorbell plugs in) are seams for the
composition root and for tests.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ingest_api.dependencies import Clock, load_settings, utc_now
from ingest_api.doorbell import connect_doorbell, ring_after_append
from ingest_api.errors import install_error_handlers
from ingest_api.imports.service import ImportService
from ingest_api.log_store import open_event_log
from ingest_api.openapi import install_openapi
from ingest_api.routes import ROUTERS
from ingest_api.routes.imports import UPLOAD
from ingest_api.settings import IngestSettings
from ingest_api.submission import AfterAppend, no_hook
from schema.logs import configure_logging_from_environment
from schema.security.body_limits import BodySizeLimit
from schema.security.cors import install_cors
from schema.security.http import authentication
from schema.storage import is_sqlite


def create_app(
    settings: IngestSettings | None = None,
    *,
    clock: Clock = utc_now,
    after_append: AfterAppend | None = None,
    docs_url: str = "/docs",
    openapi_url: str = "/openapi.json",
    configure_logs: bool = False,
) -> FastAPI:
    """An ingest app over the log store `settings` name (from the environment by default).

    Without an `after_append` hook, appends ring the projector workers' arq doorbell when
    `settings.redis_url` is set (the Procfile deployment), and nothing otherwise. With
    `configure_logs` (the app is the process) the lifespan sets up logging first.
    """
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging_from_environment()
        url = settings.resolved_log_url()
        if settings.log_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        log = await open_event_log(
            url,
            synchronous=settings.sqlite_synchronous,
            pg_schema=None if is_sqlite(url) else settings.log_pg_schema,
            clock=clock,
            max_pending_events=settings.max_pending_events,
            max_batch_events=settings.max_batch_events,
        )
        app.state.log = log
        doorbell = None
        if after_append is None and settings.redis_url:
            doorbell = connect_doorbell(settings.redis_url, settings.queue_name)
            app.state.after_append = ring_after_append(doorbell)
        imports: ImportService | None = None
        try:
            async with authentication(app, settings, clock=clock):
                imports = await ImportService.open(
                    settings, log, after_append=app.state.after_append, clock=clock
                )
                app.state.imports = imports
                yield
        finally:
            if imports is not None:  # first: it cancels running imports, which record that
                await imports.close()
            await log.close()
            if doorbell is not None:
                await doorbell.close()

    app = FastAPI(
        title="stratlog ingest",
        version="1",
        summary="Append strategy events to the stratlog log: canonical and exporter routes.",
        lifespan=lifespan,
        docs_url=docs_url,
        openapi_url=openapi_url,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.after_append = after_append or no_hook
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app, retry_after_seconds=settings.retry_after_seconds)
    install_openapi(app)
    # A backstop: the routes reading events hold bodies to these limits themselves, while a
    # JSON body FastAPI reads (key management) would otherwise be read whole, unauthenticated.
    uploads = {UPLOAD: settings.max_upload_bytes}
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, paths=uploads)
    install_cors(app, settings.cors_origins)  # outermost: refusals carry CORS headers too
    return app


app = create_app(configure_logs=True)
