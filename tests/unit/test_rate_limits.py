"""Token buckets per caller and the brake on failed authentications (schema.security.rate_limits),
on a clock the tests move by hand."""

from datetime import UTC, datetime, timedelta

import pytest

from schema.security.errors import InvalidLogin
from schema.security.rate_limits import RateLimited, RateLimits, TokenBuckets
from schema.settings import StoreSettings


class Clock:
    """Seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_burst_passes_then_the_next_request_is_refused_until_a_token_is_due(
    clock: Clock,
) -> None:
    buckets = TokenBuckets(rate=2, burst=3, clock=clock)
    for _ in range(3):
        buckets.check("key:a")

    with pytest.raises(RateLimited) as refused:
        buckets.check("key:a")

    assert refused.value.retry_after == 1  # half a second, rounded up to what Retry-After says
    assert refused.value.headers == {"Retry-After": "1"}
    clock.now += 0.5
    buckets.check("key:a")


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst(clock: Clock) -> None:
    buckets = TokenBuckets(rate=10, burst=5, clock=clock)
    for _ in range(5):
        buckets.check("k")
    clock.now += 3600  # an hour idle refills the burst, no more

    for _ in range(5):
        buckets.check("k")
    with pytest.raises(RateLimited):
        buckets.check("k")


def test_refused_requests_take_no_token(clock: Clock) -> None:
    buckets = TokenBuckets(rate=1, burst=1, clock=clock)
    buckets.check("k")
    for _ in range(100):
        with pytest.raises(RateLimited):
            buckets.check("k")

    clock.now += 1
    buckets.check("k")


def test_each_key_has_its_own_bucket(clock: Clock) -> None:
    buckets = TokenBuckets(rate=1, burst=1, clock=clock)
    buckets.check("key:a")

    buckets.check("key:b")
    with pytest.raises(RateLimited):
        buckets.check("key:a")


def test_the_wait_for_a_slow_rate_is_the_time_to_the_next_token(clock: Clock) -> None:
    buckets = TokenBuckets(rate=0.1, burst=1, clock=clock)
    buckets.check("k")
    clock.now += 2.5

    with pytest.raises(RateLimited) as refused:
        buckets.check("k")

    assert refused.value.retry_after == 8  # 7.5 s, rounded up


def test_a_clock_that_goes_back_neither_refills_nor_blocks_for_long(clock: Clock) -> None:
    buckets = TokenBuckets(rate=1, burst=1, clock=clock)
    buckets.check("k")
    clock.now -= 3600

    with pytest.raises(RateLimited):
        buckets.check("k")
    clock.now += 1
    buckets.check("k")


def test_the_least_recently_used_buckets_are_forgotten_past_max_keys(clock: Clock) -> None:
    buckets = TokenBuckets(rate=1, burst=1, clock=clock, max_keys=3)
    for key in ("a", "b", "c"):
        buckets.check(key)
    with pytest.raises(RateLimited):
        buckets.check("a")  # "a" is now the most recently used

    buckets.check("d")  # forgets "b", the least recently used

    assert len(buckets) == 3
    buckets.check("b")  # a fresh bucket
    with pytest.raises(RateLimited):
        buckets.check("a")


def test_a_full_bucket_is_not_stored(clock: Clock) -> None:
    buckets = TokenBuckets(rate=1, burst=2, clock=clock)
    buckets.check_available("k")
    buckets.spend("k")
    clock.now += 1

    buckets.check_available("k")  # refilled: forgotten

    assert len(buckets) == 0


def wall_clock(clock: Clock) -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=clock.now)


def test_failed_authentications_use_up_an_address_and_then_it_is_refused_before_trying(
    clock: Clock,
) -> None:
    limits = RateLimits.from_settings(
        StoreSettings(auth_failures_per_minute=6, auth_failure_burst=2), lambda: wall_clock(clock)
    )
    for _ in range(2):
        limits.before_authentication("10.0.0.1")
        limits.authentication_failed("10.0.0.1")

    with pytest.raises(RateLimited) as refused:
        limits.before_authentication("10.0.0.1")

    assert refused.value.retry_after == 10  # 6 a minute: one every 10 s
    assert "failed authentications" in str(refused.value)
    limits.before_authentication("10.0.0.2")  # another address is not slowed
    clock.now += 10
    limits.before_authentication("10.0.0.1")


def test_successful_authentications_cost_an_address_nothing(clock: Clock) -> None:
    limits = RateLimits.from_settings(
        StoreSettings(auth_failure_burst=1, rate_limit_burst=1000), lambda: wall_clock(clock)
    )

    for _ in range(100):
        limits.before_authentication("10.0.0.1")
        limits.admit("key:k1")


def test_requests_are_counted_per_principal(clock: Clock) -> None:
    limits = RateLimits.from_settings(
        StoreSettings(rate_limit_per_second=1, rate_limit_burst=2), lambda: wall_clock(clock)
    )
    limits.admit("key:a")
    limits.admit("key:a")

    with pytest.raises(RateLimited):
        limits.admit("key:a")
    limits.admit("user:b")


def test_a_rate_of_zero_turns_a_limit_off(clock: Clock) -> None:
    limits = RateLimits.from_settings(
        StoreSettings(rate_limit_per_second=0, auth_failures_per_minute=0),
        lambda: wall_clock(clock),
    )

    for _ in range(10_000):
        limits.admit("key:a")
        limits.authentication_failed("10.0.0.1")
    limits.before_authentication("10.0.0.1")
    assert limits.requests is None
    assert limits.auth_failures is None


def test_the_default_limits_let_a_busy_exporter_through(clock: Clock) -> None:
    limits = RateLimits.from_settings(StoreSettings(), lambda: wall_clock(clock))

    for second in range(3):  # 32 clients sending 1,900 single events a second between them
        for _ in range(1900):
            limits.admit("key:exporter")
        clock.now = 1000.0 + second + 1


def test_an_attempt_counts_a_refused_credential_and_nothing_else(clock: Clock) -> None:
    limits = RateLimits.from_settings(
        StoreSettings(auth_failure_burst=1), lambda: wall_clock(clock)
    )
    with pytest.raises(ValueError, match="not about"), limits.attempt("10.0.0.1"):
        raise ValueError("not about the credential")
    with limits.attempt("10.0.0.1"):
        pass  # a success

    with pytest.raises(InvalidLogin), limits.attempt("10.0.0.1"):
        raise InvalidLogin("wrong username or password")

    with pytest.raises(RateLimited), limits.attempt("10.0.0.1"):
        raise AssertionError("the credential is not even checked")
