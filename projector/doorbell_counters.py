"""The doorbell's counters (schema.doorbell.COUNTERS): in a Redis hash or in memory.

Workers share one Redis hash with the ingest processes, so /api/status can add up what every
process did; the embedded projector keeps the same names in memory. Counting is best effort:
a counter that cannot be written is logged and dropped, it never fails a catch-up.
"""

from collections import Counter
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from schema.doorbell import COUNTERS, STATS_KEY

logger = structlog.get_logger(__name__)


class DoorbellCounters(Protocol):
    async def add(self, name: str, amount: int = 1) -> None: ...

    async def read(self) -> dict[str, int]: ...


class MemoryCounters:
    """Counters of one process (the embedded projector)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    async def add(self, name: str, amount: int = 1) -> None:
        self.add_now(name, amount)

    def add_now(self, name: str, amount: int = 1) -> None:
        self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        return {name: self._counts[name] for name in COUNTERS}

    async def read(self) -> dict[str, int]:
        return self.snapshot()


class RedisCounters:
    """Counters in the shared hash `schema.doorbell.STATS_KEY`.

    Commands go through a pipeline because redis-py types a bare command's result as
    "awaitable or not" (one client class serves sync and async); `execute()` is plainly async.
    """

    def __init__(self, redis: Redis, key: str = STATS_KEY) -> None:
        self._redis = redis
        self._key = key

    async def add(self, name: str, amount: int = 1) -> None:
        if amount == 0:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(self._key, name, amount)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("doorbell counter not recorded", counter=name, error=str(exc))

    async def read(self) -> dict[str, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._key)
            (raw,) = await pipe.execute()
        values = {k.decode(): int(v) for k, v in raw.items()}
        return {name: values.get(name, 0) for name in COUNTERS}
