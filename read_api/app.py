"""The read ASGI application: `read_api.app:app`, or `create_app(settings)` to build one.

The lifespan makes reader engines on the log store and the projection store's live generation
(no connection is opened until a request needs one; a task follows rebuilds' swaps, see
read_api/generations.py) and, when the doorbell counters live in Redis, a client
for them, and the authenticator every route asks (schema/security); it disposes of all of
them after the last request. The read API never creates tables and writes nothing but the
users `POST /api/auth/register` adds: until the projector and ingest have created their
tables, a route that needs them answers 503. The embedded server passes its in-memory
counters as `doorbell_counters`.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from read_api.dependencies import Clock, load_settings, utc_now
from read_api.errors import install_error_handlers
from read_api.generations import LiveProjections
from read_api.routes import ROUTERS
from read_api.routes.documented import install_openapi
from read_api.settings import ReadSettings
from read_api.status import DoorbellSource, StatusStores, no_doorbell, redis_doorbell
from schema.logs import configure_logging_from_environment
from schema.security.body_limits import BodySizeLimit
from schema.security.cors import install_cors
from schema.security.http import authentication
from schema.storage import is_sqlite, make_engine


def create_app(
    settings: ReadSettings | None = None,
    *,
    doorbell_counters: DoorbellSource | None = None,
    clock: Clock = utc_now,
    configure_logs: bool = False,
) -> FastAPI:
    """A read app over the stores `settings` name (from the environment by default); with
    `configure_logs` (the app is the process) the lifespan sets up logging first."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if configure_logs:
            configure_logging_from_environment()
        async with AsyncExitStack() as stack:
            url = settings.resolved_log_url()
            log = make_engine(
                url,
                role="reader",
                synchronous=settings.sqlite_synchronous,
                pg_schema=None if is_sqlite(url) else settings.log_pg_schema,
            )
            stack.push_async_callback(log.dispose)
            await stack.enter_async_context(authentication(app, settings, clock=clock))
            live = LiveProjections(settings, log)  # follows rebuilds' generation swaps
            await live.refresh()
            live.start()
            stack.push_async_callback(live.close)
            app.state.stores = StatusStores(log=log, projections=live.engine)
            app.state.doorbell = doorbell_counters or no_doorbell
            if doorbell_counters is None and settings.redis_url:
                timeout = settings.redis_timeout_seconds
                client = Redis.from_url(
                    settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
                )
                stack.push_async_callback(client.aclose)
                app.state.doorbell = redis_doorbell(client)
            yield

    app = FastAPI(
        title="stratlog read",
        version="1",
        summary="Projections of strategy runs for dashboards, and projection status.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_read_body_bytes)
    install_cors(app, settings.cors_origins)  # outermost: refusals carry CORS headers too
    return app


app = create_app(configure_logs=True)
# Everything imported so far lives as long as the process: out of the collector's sight, a
# full collection no longer walks it (those walks were the bars pages' p99, ~100-200 ms).
gc.freeze()
