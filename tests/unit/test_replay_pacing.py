"""Re-timed replay on an injected clock: events are due `speed` times faster than their own
times, log order wins over time order, a pause can be capped, and the replay loop delivers
what is due before it waits for what is not."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from replay.pacing import Pacer
from replay.records import LoggedEvent
from replay.replayer import ReplayReport, replay_events
from replay.sink import Delivery

T0 = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


class ManualClock:
    """A monotonic clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def pacer(speed: float, clock: ManualClock, max_pause: float | None = None) -> Pacer:
    return Pacer(speed, max_pause=max_pause, clock=clock, sleep=clock.sleep)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("speed", "offsets", "due"),
    [
        (10.0, [0, 10, 30, 30], [0.0, 1.0, 3.0, 3.0]),
        (0.5, [0, 1, 2], [0.0, 2.0, 4.0]),
        (2.0, [0, 20, 5, 30], [0.0, 10.0, 10.0, 15.0]),  # an earlier time does not go back
        (0.0, [0, 3600, 7200], [0.0, 0.0, 0.0]),  # as fast as possible
    ],
    ids=["10x", "half-speed", "out-of-order", "speed-0"],
)
def test_events_fall_due_speed_times_faster_than_their_own_times(
    speed: float, offsets: list[float], due: list[float]
) -> None:
    clock = ManualClock()
    pace = pacer(speed, clock)

    assert [pace.due_at(at(offset)) - 1000.0 for offset in offsets] == due


def test_events_without_their_own_time_are_due_at_once_and_do_not_move_the_play_head() -> None:
    clock = ManualClock()
    pace = pacer(10.0, clock)

    assert [pace.due_at(t) - 1000.0 for t in (at(0), None, at(50), None, at(60))] == [
        0.0,
        0.0,
        5.0,
        0.0,
        6.0,
    ]


async def test_a_long_pause_is_capped_and_the_rest_of_the_run_shifts_earlier() -> None:
    clock = ManualClock()
    pace = pacer(1.0, clock, max_pause=5.0)

    for offset in (0, 2, 3600, 3601):  # an hour's gap in the middle of the run
        await pace.wait_until(pace.due_at(at(offset)))

    assert clock.sleeps == [2.0, 5.0, 1.0]


def event(position: int, seconds: float | None) -> LoggedEvent:
    own = None if seconds is None else at(seconds)
    return LoggedEvent(position, f"e{position}", "bar.closed", b"{}", own)


class RecordingSink:
    """Keeps (clock time, positions) of each batch it is given."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.batches: list[tuple[float, list[int]]] = []

    @property
    def target(self) -> str:
        return "memory"

    async def send(self, batch: Sequence[LoggedEvent]) -> Delivery:
        self.batches.append((self.clock() - 1000.0, [e.position for e in batch]))
        return Delivery(stored=len(batch))

    async def finish(self, *, complete: bool) -> None:
        pass


class NoProgress:
    def start(self, description: str, total: int) -> None: ...
    def advance(self, events: int) -> None: ...
    def note(self, message: str) -> None: ...
    def stop(self) -> None: ...


async def play(events: list[LoggedEvent], speed: float, batch_size: int) -> RecordingSink:
    clock = ManualClock()
    sink = RecordingSink(clock)
    acknowledged: list[int] = []

    async def source() -> AsyncIterator[LoggedEvent]:
        for item in events:
            yield item

    report = ReplayReport("run", sink.target, after=0)
    await replay_events(
        source(),
        sink,
        report,
        batch_size=batch_size,
        pacer=pacer(speed, clock),
        progress=NoProgress(),
        acknowledged=lambda position, _events: acknowledged.append(position),
    )
    assert acknowledged == [positions[-1] for _, positions in sink.batches]
    assert report.events == len(events)
    return sink


async def test_a_paced_replay_sends_what_is_due_before_waiting_for_the_next_event() -> None:
    events = [event(1, None), event(2, 0), event(3, 0), event(4, 20), event(5, 25), event(6, 25)]

    sink = await play(events, speed=10.0, batch_size=500)

    assert sink.batches == [(0.0, [1, 2, 3]), (2.0, [4]), (2.5, [5, 6])]


async def test_a_free_running_replay_sends_full_batches_without_waiting() -> None:
    events = [event(position, position * 3600.0) for position in range(1, 8)]

    sink = await play(events, speed=0.0, batch_size=3)

    assert sink.batches == [(0.0, [1, 2, 3]), (0.0, [4, 5, 6]), (0.0, [7])]
