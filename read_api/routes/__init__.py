"""The read API's routers, in the order `create_app` includes them."""

from fastapi import APIRouter

from read_api.routes import runs_analytics, status

ROUTERS: list[APIRouter] = [status.router, runs_analytics.router]
