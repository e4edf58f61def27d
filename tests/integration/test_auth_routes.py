"""Every route class refuses a request without a credential (401), lets in only the scope
it needs (403 otherwise) and serves the right one (2xx), on SQLite and PostgreSQL alike;
`admin` holds every scope. No route of either app is left open but the login."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI

from ingest_api.app import create_app as create_ingest_app
from ingest_api.settings import IngestSettings
from read_api.app import create_app as create_read_app
from read_api.settings import ReadSettings
from schema.security.http import API_KEY_HEADER
from schema.security.principals import Scope
from tests.conftest import StoreLocation
from tests.integration.auth_env import AppName, Deployment, deployment, running


@dataclass(frozen=True)
class Route:
    app: AppName
    method: Literal["GET", "POST"]
    path: str
    needs: Scope
    body: Any = None


ROUTES = [
    Route("ingest", "POST", "/api/v1/events", "ingest", []),
    Route("ingest", "POST", "/api/ingest/batch/executions", "ingest", []),
    Route("read", "GET", "/api/v1/runs", "read"),
    Route("read", "GET", "/api/v1/events", "read"),
    Route("read", "GET", "/api/status", "read"),
    Route("read", "GET", "/metrics", "read"),
    Route("read", "GET", "/api/v1/strategies", "read"),
    Route("ingest", "GET", "/api/ingest/imports", "admin"),
    Route("ingest", "GET", "/api/admin/keys", "admin"),
    Route("ingest", "POST", "/api/admin/keys", "admin", {"scope": "read", "name": "made"}),
]

# Who may call a route needing the scope of the row: the key scopes that are let in.
LET_IN: dict[Scope, set[Scope]] = {
    "ingest": {"ingest", "admin"},
    "read": {"read", "admin"},
    "admin": {"admin"},
}


async def call(
    deployed: Deployment, route: Route, headers: dict[str, str] | None = None
) -> httpx.Response:
    client = deployed.client(route.app)
    return await client.request(route.method, route.path, json=route.body, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_each_route_class_answers_401_403_or_2xx_by_the_keys_scope(
    store_location: StoreLocation, tmp_path: Path, route: Route
) -> None:
    async with deployment(store_location, tmp_path) as deployed:
        statuses = {"none": (await call(deployed, route)).status_code}
        for scope in ("ingest", "read", "admin"):
            answer = await call(deployed, route, await deployed.key_headers(scope))
            statuses[scope] = answer.status_code
            expected_ok = scope in LET_IN[route.needs]
            assert answer.is_success == expected_ok, (scope, answer.status_code, answer.text)

    assert statuses["none"] == 401
    for scope in ("ingest", "read", "admin"):
        if scope not in LET_IN[route.needs]:
            assert statuses[scope] == 403, (scope, statuses)


async def test_a_refusal_is_the_error_body_with_a_bearer_challenge(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(sqlite_location, tmp_path) as deployed:
        missing = await deployed.read.get("/api/v1/runs")
        unknown = await deployed.read.get(
            "/api/v1/runs", headers={API_KEY_HEADER: "slk_000000000000_" + "A" * 43}
        )
        malformed = await deployed.read.get("/api/v1/runs", headers={API_KEY_HEADER: "nonsense"})
        forbidden = await deployed.read.get(
            "/api/v1/runs", headers=await deployed.key_headers("ingest")
        )

    for refused in (missing, unknown, malformed):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="stratlog"'
        assert refused.json()["error"]["code"] == "unauthenticated"
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == {
        "code": "forbidden",
        "message": "this route needs the 'read' scope",
    }


@pytest.mark.parametrize("app", ["ingest", "read"])
async def test_a_key_is_accepted_as_a_bearer_credential_too(
    sqlite_location: StoreLocation, tmp_path: Path, app: AppName
) -> None:
    route = next(r for r in ROUTES if r.app == app)
    async with deployment(sqlite_location, tmp_path) as deployed:
        key = await deployed.key("admin")
        answer = await call(deployed, route, {"Authorization": f"Bearer {key}"})
        wrong = await call(deployed, route, {"Authorization": f"Bearer {key[:-1]}x"})

    assert answer.is_success, answer.text
    assert wrong.status_code == 401


def build(app: AppName, tmp_path: Path) -> FastAPI:
    if app == "ingest":
        return create_ingest_app(IngestSettings(data_dir=tmp_path))
    return create_read_app(ReadSettings(data_dir=tmp_path))


def every_route(app: AppName, tmp_path: Path) -> list[tuple[str, str]]:
    """(METHOD, path) of every route the app documents."""
    paths = build(app, tmp_path).openapi()["paths"]
    return [(method.upper(), path) for path, methods in paths.items() for method in methods]


@pytest.mark.parametrize("app", ["ingest", "read"])
async def test_no_route_answers_without_a_credential_but_login_and_first_registration(
    sqlite_location: StoreLocation, tmp_path: Path, app: AppName
) -> None:
    open_routes = {("POST", "/api/auth/login"), ("POST", "/api/auth/register")}
    routes = every_route(app, tmp_path)
    async with deployment(sqlite_location, tmp_path) as deployed:
        statuses = {
            (method, path): (
                await deployed.client(app).request(method, path.replace("{", "x").replace("}", ""))
            ).status_code
            for method, path in routes
            if (method, path) not in open_routes
        }

    assert len(statuses) >= (4 if app == "ingest" else 20)
    assert {where: status for where, status in statuses.items() if status != 401} == {}


@pytest.mark.parametrize("app", ["ingest", "read"])
async def test_the_openapi_document_declares_the_credentials_and_the_refusals(
    tmp_path: Path, app: AppName
) -> None:
    async with running(build(app, tmp_path), "http://doc") as client:
        document = (await client.get("/openapi.json")).json()

    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key (`slk_…`, from `stratlog keys create`).",
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
    assert schemes["Login"]["flows"]["password"]["tokenUrl"] == "/api/auth/login"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (method, path) == ("post", "/api/auth/login"):
                assert "security" not in operation
                continue
            assert {"ApiKey": []} in operation["security"], (method, path)
            assert "401" in operation["responses"], (method, path)
            if path != "/api/auth/me":  # any valid credential may ask who it is
                assert "403" in operation["responses"], (method, path)
