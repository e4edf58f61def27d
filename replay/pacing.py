"""Re-timing a replay: send each event when its own time comes, `speed` times faster.

`--speed 10` plays a run ten times faster than its event times: the first event that has a
time of its own is sent at once, and an event whose time is `d` later is due `d / 10`
seconds of wall time after it. Log order is kept whatever the times say, so an event whose
time is earlier than one already sent (fills can arrive before their order) is due at once
and never sends the play head back. Events without a time of their own (registrations) are
due at once and do not move the play head. `max_pause` caps any single wait, for runs with
long idle stretches (nights, weekends); the rest of the run then shifts earlier by the time
cut. Speed 0 means as fast as possible: nothing is ever due later than now.

The clock and the sleep are injected, so tests can play hours of run time in no time.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    """When each event of a replay is due, on a monotonic clock."""

    def __init__(
        self,
        speed: float = 0.0,
        *,
        max_pause: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be 0 (as fast as possible) or positive")
        self.speed, self.max_pause = speed, max_pause
        self._clock, self._sleep = clock, sleep
        self._origin: tuple[datetime, float] | None = None  # (event time, wall time) of start
        self._head: datetime | None = None  # latest own time seen so far

    def due_at(self, own_time: datetime | None) -> float:
        """The clock time at which an event with `own_time` is due (now or later)."""
        now = self._clock()
        if self.speed == 0 or own_time is None:
            return now
        if self._origin is None:
            self._origin, self._head = (own_time, now), own_time
            return now
        assert self._head is not None
        self._head = max(self._head, own_time)
        first_time, first_wall = self._origin
        due = first_wall + (self._head - first_time).total_seconds() / self.speed
        if self.max_pause is not None and due - now > self.max_pause:
            cut = due - now - self.max_pause
            self._origin = (first_time, first_wall - cut)
            due -= cut
        return max(due, now)

    def is_later(self, due: float) -> bool:
        return due > self._clock()

    async def wait_until(self, due: float) -> None:
        """Sleep until the clock reaches `due` (at once if it has)."""
        pause = due - self._clock()
        if pause > 0:
            await self._sleep(pause)
