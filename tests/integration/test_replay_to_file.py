"""Replaying a run from a real SQLite log to an NDJSON file, plain or gzip: every line is a
stored payload with its event id, in log order, and the run's catalog context comes along."""

import gzip
from pathlib import Path

import orjson
import pytest

from ingest_api.log_store import StoredEvent
from replay.errors import StoreNotFound, UnknownRun
from replay.progress import LineProgress
from replay.replayer import ReplayJob, run_replay
from replay.source import RunSource
from schema.settings import StoreSettings
from tests.integration.replay_env import OTHER_RUN, RUN, logged_store, two_runs


def expected_for(stored: list[StoredEvent], run_id: str) -> list[StoredEvent]:
    """The run's events, its strategy's and instance's registrations and the instruments of
    every run, in log order (not the unrelated strategy, not the other run)."""
    return [
        event
        for event in stored
        if event.run_id == run_id
        or (event.run_id is None and b'"Unrelated"' not in event.payload.encode())
    ]


def read_lines(path: Path) -> list[bytes]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    assert data.endswith(b"\n")
    return data.splitlines()


@pytest.mark.parametrize("name", ["run.ndjson", "run.ndjson.gz"])
async def test_a_run_replayed_to_a_file_is_its_stored_payloads_in_log_order(
    tmp_path: Path, name: str
) -> None:
    stored = await logged_store(tmp_path / "data", two_runs())
    out = tmp_path / "out" / name

    report = await run_replay(
        ReplayJob(RUN, out=out, batch_size=4),
        StoreSettings(data_dir=tmp_path / "data"),
        LineProgress(quiet=True),
    )

    expected = expected_for(stored, RUN)
    lines = [orjson.loads(line) for line in read_lines(out)]
    assert [line.pop("event_id") for line in lines] == [e.event_id for e in expected]
    assert [orjson.dumps(line, option=orjson.OPT_SORT_KEYS).decode() for line in lines] == [
        e.payload for e in expected
    ]
    assert {e.event_type for e in expected if e.run_id is None} == {
        "strategy.registered",
        "instance.registered",
        "instrument.defined",
    }
    assert (report.events, report.last_position) == (len(expected), expected[-1].position)
    assert list(out.parent.iterdir()) == [out]  # the partial file was renamed, not left


async def test_the_source_reads_the_same_events_whatever_its_page_size(tmp_path: Path) -> None:
    stored = await logged_store(tmp_path, two_runs())
    settings = StoreSettings(data_dir=tmp_path)
    after = expected_for(stored, OTHER_RUN)[5].position

    read = {}
    for page_size in (1, 3, 1000):
        source = await RunSource.open(settings, OTHER_RUN, page_size=page_size)
        try:
            read[page_size] = [event.position async for event in source.events(after)]
            assert await source.count_after(after) == len(read[page_size])
        finally:
            await source.close()

    expected = [e.position for e in expected_for(stored, OTHER_RUN) if e.position > after]
    assert read == {1: expected, 3: expected, 1000: expected}


async def test_an_unknown_run_or_a_missing_log_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    await logged_store(tmp_path / "data", two_runs())
    out = tmp_path / "run.ndjson"

    with pytest.raises(UnknownRun, match="holds no run 'nope'"):
        await run_replay(
            ReplayJob("nope", out=out), StoreSettings(data_dir=tmp_path / "data"), LineProgress()
        )
    with pytest.raises(StoreNotFound, match="no store at"):
        await run_replay(
            ReplayJob(RUN, out=out), StoreSettings(data_dir=tmp_path / "absent"), LineProgress()
        )

    assert not out.exists()
    assert not (tmp_path / "absent").exists()  # no empty store was created by mistake
