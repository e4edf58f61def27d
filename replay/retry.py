"""When to try a batch again: which answers are worth a retry, and how long to wait.

A target that is overloaded (429, 503) or briefly unreachable (connection refused or reset,
a timeout, a gateway's 502/504) is tried again; any other answer would be the same the second
time. Re-sending is always safe: event ids are kept, so a batch the target had already stored
comes back as duplicates. The wait is the target's `Retry-After` when it sends one (it knows
best), otherwise exponential backoff with jitter: attempt n waits between half and all of
`min(max_delay, base_delay * 2**(n-1))`, so many replays that failed together do not all come
back at the same instant.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus

RETRYABLE_STATUSES = frozenset(
    {
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.BAD_GATEWAY,
        HTTPStatus.SERVICE_UNAVAILABLE,
        HTTPStatus.GATEWAY_TIMEOUT,
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a batch is re-sent."""

    max_attempts: int = 10  # the first try included
    base_delay: float = 0.5
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first try: at least 1")

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds: delay-seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
