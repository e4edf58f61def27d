"""`POST /api/ingest/upload` over HTTP: the file is imported in the background, its progress
and report read from `GET /api/ingest/imports/{id}`; what is not an import is refused before
anything is stored; shutting the server down interrupts a running import."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest_api.imports.model import ImportStatus
from ingest_api.imports.store import ImportStore
from tests.conftest import StoreLocation
from tests.fixtures.exporter_sqlite import session_export, write_bulk_export, write_export
from tests.integration.ingest_harness import FixedClock, Ingest, running_ingest

UPLOAD = "/api/ingest/upload"
POLL_S, DEADLINE_S = 0.05, 30.0


@pytest.fixture
async def ingest(store_location: StoreLocation, tmp_path: Path) -> AsyncIterator[Ingest]:
    async with running_ingest(store_location, data_dir=tmp_path / "data") as running:
        yield running


def multipart(name: str, content: bytes) -> dict[str, Any]:
    return {"files": {"file": (name, content, "application/octet-stream")}}


async def until_finished(client: httpx.AsyncClient, location: str) -> dict[str, Any]:
    """Poll an import until it is no longer running (bounded); every answer must be a 200."""
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while True:
        response = await client.get(location)
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        if report["status"] != "running":
            return report
        assert asyncio.get_running_loop().time() < deadline, report
        await asyncio.sleep(POLL_S)


async def test_an_uploaded_export_is_imported_in_the_background_and_reported(
    ingest: Ingest, tmp_path: Path
) -> None:
    content = write_export(tmp_path / "session.sqlite", session_export()).read_bytes()

    response = await ingest.client.post(UPLOAD, **multipart("session.sqlite", content))

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == f"/api/ingest/imports/{accepted['import_id']}"
    assert (accepted["source_name"], accepted["format"], accepted["via"]) == (
        "session.sqlite",
        "sqlite",
        "upload",
    )
    assert accepted["size_bytes"] == len(content)
    report = await until_finished(ingest.client, response.headers["location"])
    assert report["status"] == "completed", report
    assert report["totals"] == {"items": 28, "new": 28, "duplicate": 0, "rejected": 0}
    assert report["counts"]["Orders"] == {"items": 7, "new": 7, "duplicate": 0, "rejected": 0}
    assert report["progress"] == {"unit": "rows", "done": 28, "total": 28}
    assert len(await ingest.events()) == 35  # 28 rows: 7 orders also reached a status
    listed = (await ingest.client.get("/api/ingest/imports")).json()["items"]
    assert [item["import_id"] for item in listed] == [accepted["import_id"]]
    assert list((tmp_path / "data" / "uploads").iterdir()) == []  # the upload is deleted


async def test_uploading_the_same_file_again_reports_duplicates_only(
    ingest: Ingest, tmp_path: Path
) -> None:
    content = write_export(tmp_path / "session.sqlite", session_export()).read_bytes()
    reports = []
    for _ in range(2):
        response = await ingest.client.post(UPLOAD, **multipart("session.sqlite", content))
        reports.append(await until_finished(ingest.client, response.headers["location"]))

    assert reports[1]["totals"] == {"items": 28, "new": 0, "duplicate": 28, "rejected": 0}
    assert reports[1]["run_id"] == reports[0]["run_id"]
    assert len(await ingest.events()) == 35


async def test_an_uploaded_ndjson_file_is_imported(ingest: Ingest) -> None:
    lines = b'{"type": "run.heartbeat", "run_id": "r-1", "ts_utc": "2025-03-03T14:30:00Z"}\n'
    response = await ingest.client.post(UPLOAD, **multipart("beat.ndjson", lines + b"oops\n"))

    report = await until_finished(ingest.client, response.headers["location"])

    assert report["format"] == "ndjson"
    assert report["counts"] == {
        "run.heartbeat": {"items": 1, "new": 1, "duplicate": 0, "rejected": 0},
        "unknown": {"items": 1, "new": 0, "duplicate": 0, "rejected": 1},
    }
    assert [row["raw"] for row in await ingest.quarantined()] == ["oops"]


@pytest.mark.parametrize(
    ("request_args", "code"),
    [
        (multipart("notes.txt", b"just some notes\n"), "malformed_body"),
        (multipart("empty.sqlite", b""), "malformed_body"),
        ({"content": b'{"file": 1}', "headers": {"content-type": "application/json"}}, None),
        ({"files": {"other": ("x.ndjson", b"{}\n")}}, None),
    ],
    ids=["not-an-import-format", "empty-file", "not-multipart", "no-file-part"],
)
async def test_what_is_not_an_importable_upload_is_a_400_and_stores_nothing(
    ingest: Ingest, tmp_path: Path, request_args: dict[str, Any], code: str | None
) -> None:
    response = await ingest.client.post(UPLOAD, **request_args)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == (code or "malformed_body")
    assert (await ingest.client.get("/api/ingest/imports")).json()["items"] == []
    assert list((tmp_path / "data" / "uploads").glob("*")) == []


async def test_an_upload_over_the_limit_is_a_413(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    content = write_export(tmp_path / "session.sqlite", session_export()).read_bytes()
    async with running_ingest(
        sqlite_location, data_dir=tmp_path / "data", max_upload_bytes=len(content) // 2
    ) as ingest:
        response = await ingest.client.post(UPLOAD, **multipart("session.sqlite", content))
        listed = (await ingest.client.get("/api/ingest/imports")).json()["items"]

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert listed == []


@pytest.mark.parametrize("import_id", ["0b6e1c0e-2f43-4a57-9f53-3a4d0c1f8e21", "not-an-id"])
async def test_an_unknown_import_is_a_404(ingest: Ingest, import_id: str) -> None:
    response = await ingest.client.get(f"/api/ingest/imports/{import_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_shutting_down_interrupts_a_running_import_and_removes_its_upload(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    content = write_bulk_export(tmp_path / "bulk.sqlite", bars=20_000, fills=10_000).read_bytes()
    clock = FixedClock()
    async with running_ingest(sqlite_location, data_dir=tmp_path / "data", clock=clock) as ingest:
        response = await ingest.client.post(UPLOAD, **multipart("bulk.sqlite", content))
        assert response.status_code == 202
    store = ImportStore.open(sqlite_location.url)
    try:
        record = await store.get(response.json()["import_id"], clock())
    finally:
        await store.close()

    assert record is not None
    assert record.status is ImportStatus.INTERRUPTED
    assert record.error is not None
    assert list((tmp_path / "data" / "uploads").iterdir()) == []
