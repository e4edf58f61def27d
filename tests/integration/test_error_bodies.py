"""Error bodies never carry a stack trace, SQL, driver text or a server path: a store the read
API cannot read is a 503 that says so and no more (the detail goes to the log), and a bug in
either app is a 500 that says only "internal error". In-process apps over real SQLite files."""

import sqlite3
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

FORBIDDEN_TEXT = ("Traceback", "SELECT", "SQL", "sqlite", "OperationalError", 'File "')


@asynccontextmanager
async def client_of(app: FastAPI, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    headers = await key_headers(IngestSettings(data_dir=data_dir))
    async with app.router.lifespan_context(app):
        # A bug's exception is re-raised to the server after the answer: not to this test.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=headers
        ) as client:
            yield client


def assert_says_nothing_internal(response: httpx.Response, data_dir: Path) -> None:
    for text in (*FORBIDDEN_TEXT, str(data_dir)):
        assert text not in response.text, response.text


def no_tables(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE unrelated (x)")


def not_a_database(path: Path) -> None:
    path.write_bytes(b"this is not a SQLite file " * 1000)


@pytest.mark.parametrize("make_store", [no_tables, not_a_database])
async def test_an_unreadable_projection_store_is_a_503_without_driver_text(
    tmp_path: Path, make_store: Callable[[Path], None]
) -> None:
    projections = tmp_path / "broken.sqlite3"
    make_store(projections)
    settings = ReadSettings(data_dir=tmp_path, projection_url=f"sqlite+aiosqlite:///{projections}")
    async with client_of(create_read_app(settings), tmp_path) as client:
        response = await client.get("/api/v1/runs")

    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "store_unavailable",
            "message": "the projection store cannot be read; retry later",
        }
    }
    assert_says_nothing_internal(response, tmp_path)


def ingest_app(data_dir: Path) -> FastAPI:
    return create_ingest_app(IngestSettings(data_dir=data_dir))


def read_app(data_dir: Path) -> FastAPI:
    return create_read_app(ReadSettings(data_dir=data_dir))


@pytest.mark.parametrize("make_app", [ingest_app, read_app], ids=["ingest", "read"])
async def test_a_bug_is_a_500_that_says_only_internal_error(
    tmp_path: Path, make_app: Callable[[Path], FastAPI]
) -> None:
    app = make_app(tmp_path)

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError(f"SELECT secret FROM keys -- {tmp_path}")

    async with client_of(app, tmp_path) as client:
        response = await client.get("/bug")

    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert_says_nothing_internal(response, tmp_path)
