"""CORS on both apps: closed unless `cors_origins` names an origin; then preflights from it
are answered and answers carry the headers a dashboard reads, and other origins still get
nothing. In-process apps over real SQLite files."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ingest_api.app import create_app as create_ingest_app
from ingest_api.settings import IngestSettings
from read_api.app import create_app as create_read_app
from read_api.settings import ReadSettings
from tests.credentials import key_headers

DASHBOARD = "https://dash.example"
ELSEWHERE = "https://evil.example"
ROUTES = {"ingest": ("POST", "/api/v1/events"), "read": ("POST", "/api/v1/compare")}
AppFactory = Callable[[Path, list[str]], FastAPI]


def ingest_app(data_dir: Path, origins: list[str]) -> FastAPI:
    return create_ingest_app(IngestSettings(data_dir=data_dir, cors_origins=origins))


def read_app(data_dir: Path, origins: list[str]) -> FastAPI:
    return create_read_app(ReadSettings(data_dir=data_dir, cors_origins=origins))


FACTORIES: dict[str, AppFactory] = {"ingest": ingest_app, "read": read_app}


@asynccontextmanager
async def client_of(app: FastAPI, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    headers = await key_headers(IngestSettings(data_dir=data_dir))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=headers
        ) as client:
            yield client


def preflight(origin: str, method: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "x-api-key, content-type",
    }


@pytest.mark.parametrize("api", ["ingest", "read"])
async def test_by_default_no_origin_is_allowed(api: str, tmp_path: Path) -> None:
    method, path = ROUTES[api]
    app = FACTORIES[api](tmp_path, [])
    async with client_of(app, tmp_path) as client:
        refused = await client.options(path, headers=preflight(DASHBOARD, method))
        answer = await client.get("/docs", headers={"Origin": DASHBOARD})

    assert refused.status_code == 405
    assert not any(name.startswith("access-control-") for name in refused.headers)
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("api", ["ingest", "read"])
async def test_a_configured_origin_gets_its_preflight_answered(api: str, tmp_path: Path) -> None:
    method, path = ROUTES[api]
    app = FACTORIES[api](tmp_path, [DASHBOARD])
    async with client_of(app, tmp_path) as client:
        allowed = await client.options(path, headers=preflight(DASHBOARD, method))
        answer = await client.get("/docs", headers={"Origin": DASHBOARD})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == DASHBOARD
    assert method in allowed.headers["access-control-allow-methods"]
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    assert answer.headers["access-control-allow-origin"] == DASHBOARD
    assert "Retry-After" in answer.headers["access-control-expose-headers"]


@pytest.mark.parametrize("api", ["ingest", "read"])
async def test_an_origin_not_configured_is_refused(api: str, tmp_path: Path) -> None:
    method, path = ROUTES[api]
    app = FACTORIES[api](tmp_path, [DASHBOARD])
    async with client_of(app, tmp_path) as client:
        refused = await client.options(path, headers=preflight(ELSEWHERE, method))
        answer = await client.get("/docs", headers={"Origin": ELSEWHERE})

    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in answer.headers


async def test_a_refusal_before_the_route_still_carries_the_cors_headers(tmp_path: Path) -> None:
    app = read_app(tmp_path, [DASHBOARD])
    async with client_of(app, tmp_path) as client:
        too_large = await client.post(
            "/api/v1/compare",
            content=b" " * (2 * 1024 * 1024),
            headers={"Origin": DASHBOARD, "content-type": "application/json"},
        )

    assert too_large.status_code == 413
    assert too_large.headers["access-control-allow-origin"] == DASHBOARD


def test_origins_are_read_from_the_environment_as_a_list_or_comma_separated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRATLOG_CORS_ORIGINS", f" {DASHBOARD}, http://localhost:3000 ")
    assert ReadSettings().cors_origins == [DASHBOARD, "http://localhost:3000"]
    monkeypatch.setenv("STRATLOG_CORS_ORIGINS", f'["{DASHBOARD}"]')
    assert IngestSettings().cors_origins == [DASHBOARD]
    monkeypatch.setenv("STRATLOG_CORS_ORIGINS", "")
    assert ReadSettings().cors_origins == []
