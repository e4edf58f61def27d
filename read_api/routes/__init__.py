"""The read API's routers, in the order `create_app` includes them."""

from fastapi import APIRouter

from read_api.routes import catalog, diagnostics, runs, runs_analytics, status

ROUTERS: list[APIRouter] = [
    status.router,
    diagnostics.router,
    runs_analytics.router,
    catalog.router,
    runs.router,
]
