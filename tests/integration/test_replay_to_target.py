"""Replaying a run over real HTTP to a scripted target: retries on overload honour
Retry-After, client errors stop at once and say why, and an interrupted replay resumes after
the last batch the target acknowledged, sending only the rest."""

from pathlib import Path

import pytest

from ingest_api.log_store import StoredEvent
from replay.errors import StateMismatch, TargetRefused, TargetUnavailable
from replay.replayer import ReplayJob, ReplayReport, run_replay
from replay.retry import RetryPolicy
from schema.settings import StoreSettings
from tests.e2e.serving import free_port
from tests.integration.replay_env import (
    RUN,
    Answer,
    ScriptedTarget,
    logged_store,
    serving,
    two_runs,
)
from tests.integration.test_replay_to_file import expected_for

FAST = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2)
OVERLOADED = Answer(503, {"Retry-After": "1"}, {"error": {"message": "overloaded"}})


class Notes:
    """A progress display that keeps the notes (retry messages) it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.advanced = 0

    def start(self, description: str, total: int) -> None:
        self.total = total

    def advance(self, events: int) -> None:
        self.advanced += events

    def note(self, message: str) -> None:
        self.lines.append(message)

    def stop(self) -> None:
        pass


async def replay_to(
    target: ScriptedTarget, data_dir: Path, notes: Notes | None = None, **options: object
) -> ReplayReport:
    """Replay RUN to `target` served on its own port (the same one each time: the resume
    state is kept per target URL)."""
    async with serving(target.app(), target.port) as url:
        job = ReplayJob(RUN, to=url, **options)  # type: ignore[arg-type]
        return await run_replay(job, StoreSettings(data_dir=data_dir), notes or Notes())


@pytest.fixture
async def stored(tmp_path: Path) -> list[StoredEvent]:
    return expected_for(await logged_store(tmp_path, two_runs()), RUN)


async def test_a_503_is_retried_after_the_time_its_retry_after_asks(
    tmp_path: Path, stored: list[StoredEvent]
) -> None:
    target, notes = ScriptedTarget([OVERLOADED, OVERLOADED]), Notes()

    report = await replay_to(target, tmp_path, notes, api_key="k-123", retry=FAST)

    first, second, third = target.request_times
    assert second - first >= 1.0  # not FAST's 0.05-0.2 s backoff
    assert third - second >= 1.0
    assert target.event_ids == [event.event_id for event in stored]
    assert (report.events, report.stored, report.duplicates) == (len(stored), len(stored), 0)
    assert notes.advanced == notes.total == len(stored)
    assert [line.split("/api/v1/events ")[1] for line in notes.lines] == [
        "answered 503; retrying in 1.0 s (attempt 2 of 4)",
        "answered 503; retrying in 1.0 s (attempt 3 of 4)",
    ]
    assert {headers["x-api-key"] for headers in target.headers} == {"k-123"}


async def test_a_429_without_retry_after_backs_off_and_a_lasting_one_gives_up(
    tmp_path: Path, stored: list[StoredEvent]
) -> None:
    busy = Answer(429, body={"error": {"message": "slow down"}})
    target = ScriptedTarget([busy] * FAST.max_attempts)

    with pytest.raises(TargetUnavailable, match="answered 429; gave up after 4 attempts"):
        await replay_to(target, tmp_path, retry=FAST)

    gaps = [b - a for a, b in zip(target.request_times, target.request_times[1:], strict=False)]
    assert len(gaps) == FAST.max_attempts - 1
    assert all(0.025 <= gap < 1.0 for gap in gaps), gaps
    assert target.accepted == []


async def test_an_unreachable_target_is_retried_then_reported(tmp_path: Path) -> None:
    await logged_store(tmp_path, two_runs())
    job = ReplayJob(RUN, to=f"http://127.0.0.1:{free_port()}", retry=FAST)
    notes = Notes()

    with pytest.raises(TargetUnavailable, match=r"ConnectError.*gave up after 4 attempts"):
        await run_replay(job, StoreSettings(data_dir=tmp_path), notes)

    assert len(notes.lines) == FAST.max_attempts - 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            Answer(401, body={"error": {"code": "unauthorized", "message": "no API key"}}),
            r"answered 401 \(check --api-key / STRATLOG_API_KEY\): no API key",
        ),
        (
            Answer(413, body={"error": {"message": "body exceeds 16 bytes"}}),
            r"answered 413 \(lower --batch-size\): body exceeds 16 bytes",
        ),
        (
            Answer(
                200,
                body={
                    "items": [
                        {"index": 0, "status": "accepted", "event_id": "a"},
                        {
                            "index": 1,
                            "status": "conflict",
                            "event_id": "b",
                            "errors": [{"field": "event_id", "message": "other content"}],
                        },
                    ]
                },
            ),
            r"refused 1 of 2 events: event b conflict: event_id: other content",
        ),
    ],
    ids=["unauthorized", "too-large", "conflicting-item"],
)
async def test_a_refusal_stops_the_replay_at_once_with_the_targets_reason(
    tmp_path: Path, stored: list[StoredEvent], answer: Answer, message: str
) -> None:
    target = ScriptedTarget([answer])

    with pytest.raises(TargetRefused, match=message):
        await replay_to(target, tmp_path, batch_size=2, retry=FAST)

    assert len(target.request_times) == 1  # a refusal is not retried


async def test_a_resumed_replay_sends_only_what_the_target_had_not_acknowledged(
    tmp_path: Path, stored: list[StoredEvent]
) -> None:
    refusal = Answer(400, body={"error": {"message": "maintenance"}})
    target = ScriptedTarget([None, None, refusal])  # two batches acknowledged, then refused

    with pytest.raises(TargetRefused, match="maintenance"):
        await replay_to(target, tmp_path, batch_size=3)
    acknowledged = target.event_ids
    report = await replay_to(target, tmp_path, batch_size=3, resume=True)

    assert acknowledged == [event.event_id for event in stored[:6]]
    assert target.event_ids == [event.event_id for event in stored]  # each sent once
    assert (report.after, report.events) == (stored[5].position, len(stored) - 6)
    assert (report.stored, report.duplicates) == (len(stored) - 6, 0)


async def test_a_replay_run_again_without_resume_is_all_duplicates_at_the_target(
    tmp_path: Path, stored: list[StoredEvent]
) -> None:
    target = ScriptedTarget()

    await replay_to(target, tmp_path)
    again = await replay_to(target, tmp_path)
    resumed_after_completion = await replay_to(target, tmp_path, resume=True)

    assert (again.stored, again.duplicates) == (0, len(stored))
    assert resumed_after_completion.events == 0  # nothing was logged since


async def test_a_state_file_of_another_run_is_refused(
    tmp_path: Path, stored: list[StoredEvent]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        '{"run_id": "other", "target": "x", "position": 3, "events": 3, '
        '"updated_utc": "2025-01-01T00:00:00+00:00"}'
    )

    with pytest.raises(StateMismatch, match="records a replay of run 'other'"):
        await replay_to(ScriptedTarget(), tmp_path, state_path=state, resume=True)
