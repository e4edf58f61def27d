"""The read API's routers, in the order `create_app` includes them."""

from fastapi import APIRouter

from read_api.routes import (
    auth,
    bars,
    catalog,
    compare,
    diagnostics,
    log_events,
    runs,
    runs_analytics,
    status,
    stream,
)

ROUTERS: list[APIRouter] = [
    status.router,
    diagnostics.router,
    runs_analytics.router,
    catalog.router,
    runs.router,
    bars.router,
    log_events.router,
    compare.router,
    stream.router,
    auth.router,
]
