"""Importing NDJSON(.gz) files of canonical events, as `stratlog replay --out` writes them:
the events land as they were (ids kept or derived alike), a run imported from a file projects
exactly as the run appended directly, bad lines are quarantined, a second import appends
nothing, and a damaged gzip file fails with what was read before the damage kept."""

import gzip
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest_api.imports.model import ImportFormat, ImportRecord, ImportStatus, Via
from ingest_api.imports.source import fingerprint
from ingest_api.log_store import NewEvent
from tests.fixtures.sessions import bracket_session
from tests.integration.import_env import local_imports, log_head, log_location, quarantined
from tests.integration.log_events import new_event
from tests.integration.projection_env import ProjectionEnv, projection_env

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
PROJECTED = ("strategies", "strategy_instances", "strategy_runs", "orders", "executions", "trades")


def write_lines(path: Path, lines: Sequence[bytes]) -> Path:
    body = b"".join(line + b"\n" for line in lines)
    path.write_bytes(gzip.compress(body) if path.suffix == ".gz" else body)
    return path


def replay_lines(events: Sequence[dict[str, Any]]) -> list[bytes]:
    """Stored payloads, every other one with its event id (as replay writes them)."""
    lines = []
    for n, data in enumerate(events):
        event = new_event(data)
        line = orjson.loads(event.payload)
        if n % 2:
            line["event_id"] = f"client-{n}"
        lines.append(orjson.dumps(line))
    return lines


def logged(line: bytes) -> NewEvent:
    """The event a line stands for, as the log keeps it (with its client id, if it has one)."""
    data = orjson.loads(line)
    event_id = data.pop("event_id", None)
    event = new_event(data)
    return replace(event, event_id=event_id) if event_id else event


async def import_file(env: ProjectionEnv, path: Path) -> ImportRecord:
    async with local_imports(env) as imports:
        return await imports.import_file(path, via=Via.CLI)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["session.ndjson", "session.ndjson.gz"])
async def test_an_imported_event_file_projects_like_the_events_appended_directly(
    tmp_path: Path, backend: str, name: str
) -> None:
    session = bracket_session()
    lines = replay_lines(session)
    path = write_lines(tmp_path / name, lines)
    (tmp_path / "direct").mkdir()
    (tmp_path / "imported").mkdir()
    async with (
        projection_env(backend, tmp_path / "direct") as direct,
        projection_env(backend, tmp_path / "imported") as imported,
    ):
        await direct.log.append([logged(line) for line in lines])
        record = await import_file(imported, path)
        again = await import_file(imported, path)
        await direct.catch_up_all()
        await imported.catch_up_all()

        stored = [(e.event_id, e.payload) for e in await imported.log.read(0, 1000)]
        expected = [(e.event_id, e.payload) for e in await direct.log.read(0, 1000)]
        assert stored == expected
        for table in PROJECTED:
            assert await imported.rows(table) == await direct.rows(table), table

    assert record.format is (
        ImportFormat.NDJSON_GZ if name.endswith(".gz") else ImportFormat.NDJSON
    )
    assert record.status is ImportStatus.COMPLETED
    assert sum(c.new for c in record.counts.values()) == len(session)
    assert record.counts["execution.recorded"].items == 3
    assert (record.progress_done, record.progress_total) == (path.stat().st_size,) * 2
    assert sum(c.duplicate for c in again.counts.values()) == len(session)
    assert sum(c.new for c in again.counts.values()) == 0


async def test_bad_lines_are_quarantined_and_counted_and_the_others_imported(
    tmp_path: Path,
) -> None:
    good = replay_lines(bracket_session()[:3])
    bad_price = orjson.dumps({**bracket_session()[6], "price": "n/a"})
    lines = [good[0], b"this is not json", b"", good[1], bad_price, b'{"type": "x.y"}', good[2]]
    path = write_lines(tmp_path / "events.ndjson", lines)
    sha256, _ = fingerprint(path)

    async with projection_env("sqlite", tmp_path) as env:
        record = await import_file(env, path)
        location = await log_location(env)
        kept = await quarantined(location)
        head = await log_head(location)

    assert record.status is ImportStatus.COMPLETED
    figures = {t: (c.items, c.new, c.rejected) for t, c in record.counts.items()}
    assert figures == {
        "strategy.registered": (1, 1, 0),
        "instance.registered": (1, 1, 0),
        "run.started": (1, 1, 0),
        "execution.recorded": (1, 0, 1),
        "unknown": (2, 0, 2),  # not JSON; an unknown type
    }
    assert head == 3
    # item index: the line's place among the non-blank lines
    assert [(row["source"], row["item_index"]) for row in kept] == [
        (f"import:{sha256[:16]}:ndjson", 1),
        (f"import:{sha256[:16]}:ndjson", 3),
        (f"import:{sha256[:16]}:ndjson", 4),
    ]
    assert [row["errors"][0]["field"] for row in kept] == ["", "price", "type"]
    assert kept[0]["raw"] == "this is not json"


async def test_a_damaged_gzip_file_fails_keeping_what_was_read_and_a_good_copy_completes_it(
    tmp_path: Path,
) -> None:
    beats = [
        orjson.dumps(
            {"type": "run.heartbeat", "run_id": "r-1", "ts_utc": f"2025-03-03T14:30:00.{n:06d}Z"}
        )
        for n in range(2500)
    ]
    whole = write_lines(tmp_path / "beats.ndjson.gz", beats)
    damaged = tmp_path / "damaged.ndjson.gz"
    damaged.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])

    async with projection_env("sqlite", tmp_path) as env:
        failed = await import_file(env, damaged)
        location = await log_location(env)
        appended = await log_head(location)
        completed = await import_file(env, whole)
        total = await log_head(location)

    assert failed.status is ImportStatus.FAILED
    assert "cannot read past line" in (failed.error or "")
    assert appended in (1000, 2000)  # the whole batches read before the damage
    assert completed.status is ImportStatus.COMPLETED
    assert completed.counts["run.heartbeat"].new == 2500 - appended
    assert completed.counts["run.heartbeat"].duplicate == appended
    assert total == 2500
