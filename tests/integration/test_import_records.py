"""Import records outlive the process that ran them: a running import whose process died is
reported interrupted once it has been silent for `STALE_AFTER`, and an ingest process that
starts removes upload files whose import no longer runs (a crash left them behind)."""

from datetime import timedelta
from pathlib import Path

from ingest_api.imports.model import (
    STALE_AFTER,
    ImportFormat,
    ImportRecord,
    ImportStatus,
    Via,
    new_record,
)
from ingest_api.imports.store import ImportStore
from ingest_api.log_store import open_event_log
from tests.conftest import StoreLocation
from tests.integration.ingest_harness import NOW, FixedClock, running_ingest


def record(import_id: str) -> ImportRecord:
    return new_record(
        import_id,
        "session.sqlite",
        ImportFormat.SQLITE,
        Via.UPLOAD,
        size_bytes=20_480,
        sha256="0" * 64,
        now=NOW,
    )


async def open_store(location: StoreLocation) -> ImportStore:
    log = await open_event_log(location.url, pg_schema=location.pg_schema)  # creates the tables
    await log.close()
    return ImportStore.open(location.url, pg_schema=location.pg_schema)


async def test_a_running_import_silent_for_too_long_is_reported_and_kept_interrupted(
    store_location: StoreLocation,
) -> None:
    import_id = "5f0c9d7e-31a4-4c0b-8d52-7c1e9e0b6a11"
    store = await open_store(store_location)
    try:
        await store.create(record(import_id))
        almost = await store.get(import_id, NOW + STALE_AFTER - timedelta(seconds=1))
        stale = await store.get(import_id, NOW + STALE_AFTER)
        later = await store.get(import_id, NOW)
    finally:
        await store.close()

    assert almost is not None
    assert almost.status is ImportStatus.RUNNING
    assert stale is not None
    assert stale.status is ImportStatus.INTERRUPTED
    assert later is not None
    assert later.status is ImportStatus.INTERRUPTED  # stored, not only reported
    assert "stopped" in (later.error or "")


async def test_starting_removes_uploads_of_imports_that_no_longer_run(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    store = await open_store(sqlite_location)
    running = record("0d5e2f3a-1111-4a57-9f53-3a4d0c1f8e21")
    finished = record("0d5e2f3a-2222-4a57-9f53-3a4d0c1f8e21")
    try:
        await store.create(running)
        await store.create(finished.with_changes(status=ImportStatus.COMPLETED))
    finally:
        await store.close()
    names = [f"{running.import_id}.upload", f"{finished.import_id}.upload", "unknown.upload"]
    for name in names:
        (uploads / name).write_bytes(b"x")

    clock = FixedClock(NOW + timedelta(seconds=5))  # the running one is still fresh
    async with running_ingest(sqlite_location, data_dir=tmp_path / "data", clock=clock):
        left = sorted(path.name for path in uploads.iterdir())

    assert left == [f"{running.import_id}.upload"]
