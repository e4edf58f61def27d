"""How long a replay waits before re-sending a batch: what the target's Retry-After says,
else exponential backoff with jitter, capped."""

import random
from datetime import UTC, datetime

import pytest

from replay.retry import RetryPolicy, parse_retry_after

NOW = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def test_retry_after_from_the_target_is_waited_as_given() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)

    assert policy.delay(1, 7.0, random.Random(1)) == 7.0
    assert policy.delay(9, 0.0, random.Random(1)) == 0.0


def test_backoff_doubles_per_attempt_within_half_to_all_of_its_capped_ceiling() -> None:
    policy, rng = RetryPolicy(base_delay=0.5, max_delay=4.0), random.Random(7)

    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (12, 4.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert ceiling / 2 <= min(delays), attempt
        assert max(delays) <= ceiling, attempt
        assert max(delays) - min(delays) > ceiling / 4, "no jitter"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("Mon, 03 Mar 2025 14:30:05 GMT", 5.0),
        ("Mon, 03 Mar 2025 14:29:00 GMT", 0.0),  # a date already past: at once
        ("soon", None),
        ("-1", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)
