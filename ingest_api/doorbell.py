"""Ringing the projector's doorbell after an append: one arq job per partition touched.

The job carries only the partition key and its id is derived from it (schema.doorbell), so
while a partition's job is queued or running further rings coalesce into it (arq's
`enqueue_job` returns None). Ringing is best effort by design: the events are already durable
when the doorbell rings, and the projector's periodic sweep finds them without a ring, so a
Redis failure is logged and never fails the append.
"""

from collections.abc import Iterable, Sequence

import structlog
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from ingest_api.log_store import AppendReceipt, NewEvent, Outcome
from ingest_api.submission import AfterAppend
from schema.doorbell import (
    CATCH_UP_JOB,
    COALESCED,
    QUEUE_NAME,
    RUNG,
    STATS_KEY,
    catch_up_job_id,
    partition_key,
)

logger = structlog.get_logger(__name__)


class ArqDoorbell:
    """Enqueues catch-up jobs on the projector's arq queue."""

    def __init__(self, redis: ArqRedis, queue_name: str = QUEUE_NAME) -> None:
        self._redis = redis
        self._queue_name = queue_name

    async def ring(self, run_ids: Iterable[str | None]) -> None:
        """Wake the partitions of these run ids (None: strategy and instance events)."""
        partitions = sorted({partition_key(run_id) for run_id in run_ids})
        if not partitions:
            return
        try:
            coalesced = 0
            for partition in partitions:
                job = await self._redis.enqueue_job(
                    CATCH_UP_JOB,
                    partition,
                    _job_id=catch_up_job_id(partition),
                    _queue_name=self._queue_name,
                )
                coalesced += job is None
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(STATS_KEY, RUNG, len(partitions))
                pipe.hincrby(STATS_KEY, COALESCED, coalesced)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning(
                "doorbell not rung; the projector's sweep will find the events",
                partitions=len(partitions),
                error=f"{type(exc).__name__}: {exc}",
            )

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


def connect_doorbell(
    redis_url: str, queue_name: str = QUEUE_NAME, *, timeout_s: float = 1.0
) -> ArqDoorbell:
    """A doorbell on the Redis at `redis_url`; connects on first ring, so ingest starts (and
    appends) while Redis is down. `timeout_s` bounds how long a ring can hold up a response."""
    pool = ConnectionPool.from_url(
        redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
    )
    return ArqDoorbell(ArqRedis(connection_pool=pool, default_queue_name=queue_name), queue_name)


def accepted_run_ids(events: Sequence[NewEvent], receipt: AppendReceipt) -> list[str | None]:
    """Run ids of the events this append added to the log (duplicates were rung before)."""
    return [
        event.run_id
        for event, result in zip(events, receipt.results, strict=True)
        if result.outcome is Outcome.ACCEPTED
    ]


def ring_after_append(doorbell: ArqDoorbell) -> AfterAppend:
    """The ingest `after_append` hook that rings `doorbell` for what an append added."""

    async def ring(events: Sequence[NewEvent], receipt: AppendReceipt) -> None:
        await doorbell.ring(accepted_run_ids(events, receipt))

    return ring
