"""Per-caller request rates, and a brake on guessing credentials: token buckets in the process.

A `TokenBuckets` keeps a bucket per key, holding up to `burst` tokens and refilled at `rate`
tokens a second. `RateLimits` is what an app applies around authentication
(schema/security/http.py): an authenticated request takes a token from its principal's bucket;
a failed authentication takes one from its client address's bucket, and an address whose
bucket is empty is refused before its credential is even looked at, so keys and passwords can
be guessed at the refill rate at most. A refusal is `RateLimited`: 429, with the seconds until
the next token in Retry-After. Limits hold per process (N replicas allow N times the rate).
Memory is bounded: a limit keeps at most `max_keys` buckets and forgets the least recently
used first (a bucket forgotten is a full one). The clock is injected (seconds).
"""

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from schema.security.errors import SecurityError, Unauthenticated
from schema.settings import StoreSettings

Seconds = Callable[[], float]

MAX_KEYS = 100_000


class RateLimited(SecurityError):
    """Too many requests from one caller, or too many failed authentications from one
    address (429); `retry_after` is when the next one may succeed, in seconds."""

    code = "rate_limited"

    def __init__(self, retry_after: float, what: str = "requests") -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many {what}; retry in {self.retry_after} s")
        self.headers = {"Retry-After": str(self.retry_after)}


class TokenBuckets:
    """A token bucket per key: `burst` tokens at most, `rate` more every second."""

    def __init__(self, rate: float, burst: int, clock: Seconds, *, max_keys: int = MAX_KEYS):
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when), LRU first

    def check(self, key: str) -> None:
        """Take a token from `key`'s bucket, or raise `RateLimited` if it has none."""
        tokens, now = self._refilled(key)
        if tokens < 1:
            self._keep(key, tokens, now)
            raise RateLimited(self._wait(tokens))
        self._keep(key, tokens - 1, now)

    def check_available(self, key: str, what: str = "requests") -> None:
        """Raise `RateLimited` if `key`'s bucket is empty; take nothing."""
        if key not in self._buckets:  # the usual case: a full bucket, never stored
            return
        tokens, now = self._refilled(key)
        self._keep(key, tokens, now)
        if tokens < 1:
            raise RateLimited(self._wait(tokens), what)

    def spend(self, key: str) -> None:
        """Take a token from `key`'s bucket if it has one; never raise."""
        tokens, now = self._refilled(key)
        self._keep(key, max(0.0, tokens - 1), now)

    def __len__(self) -> int:
        return len(self._buckets)

    def _refilled(self, key: str) -> tuple[float, float]:
        """The tokens in `key`'s bucket, and the time; the bucket leaves the map (`_keep`
        puts it back last, so the map stays in least recently used order)."""
        now = self._clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            return self._burst, now
        tokens, when = bucket
        # A clock that went back refills nothing (and does not block either).
        return min(self._burst, tokens + max(0.0, now - when) * self._rate), now

    def _keep(self, key: str, tokens: float, now: float) -> None:
        if tokens >= self._burst:
            return  # a full bucket is the same as none
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            del self._buckets[next(iter(self._buckets))]

    def _wait(self, tokens: float) -> float:
        return (1 - tokens) / self._rate


@dataclass(frozen=True)
class RateLimits:
    """The limits of one app: per principal (`None`: off) and per failing address."""

    requests: TokenBuckets | None
    auth_failures: TokenBuckets | None

    @classmethod
    def from_settings(cls, settings: StoreSettings, clock: Callable[[], datetime]) -> "RateLimits":
        """The limits `settings` ask for, on the app's clock (a rate of 0 turns one off)."""

        def seconds() -> float:
            return clock().timestamp()

        requests = failures = None
        if settings.rate_limit_per_second > 0:
            requests = TokenBuckets(
                settings.rate_limit_per_second, settings.rate_limit_burst, seconds
            )
        if settings.auth_failures_per_minute > 0:
            rate = settings.auth_failures_per_minute / 60
            failures = TokenBuckets(rate, settings.auth_failure_burst, seconds)
        return cls(requests, failures)

    def before_authentication(self, client: str | None) -> None:
        """Refuse an address that has used up its failed authentications."""
        if self.auth_failures is not None and client is not None:
            self.auth_failures.check_available(client, "failed authentications")

    def authentication_failed(self, client: str | None) -> None:
        if self.auth_failures is not None and client is not None:
            self.auth_failures.spend(client)

    @contextmanager
    def attempt(self, client: str | None) -> Iterator[None]:
        """Around a check of a presented credential (a login): refused if `client` has used
        up its failures; an `Unauthenticated` raised inside counts as one."""
        self.before_authentication(client)
        try:
            yield
        except Unauthenticated:
            self.authentication_failed(client)
            raise

    def admit(self, subject: str) -> None:
        """Count an authenticated request against its principal (`Principal.subject`)."""
        if self.requests is not None:
            self.requests.check(subject)
