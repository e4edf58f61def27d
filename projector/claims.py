"""Which worker holds which partition's job, so that a dead worker's jobs can be freed.

arq marks a started job "in progress" for the job timeout + 10 s, and while that mark stands
the job is neither started again nor re-enqueued: every ring for its partition coalesces into
it. When the worker holding it is killed, the partition would wait that long. So each worker
keeps a liveness key alive with a heartbeat, and each job records its worker as the owner of
its partition; a sweep that finds a claimed job whose owner is gone (or never recorded) and
whose partition has not moved for a whole interval deletes arq's mark, and a live worker
takes the job, still queued, at its next poll. Keys live under the queue's name.
"""

import asyncio
import uuid

import structlog
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

from schema.doorbell import catch_up_job_id

logger = structlog.get_logger("stratlog.projector")

_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Claims:
    """Owners of running catch-up jobs and liveness of workers, in Redis."""

    def __init__(self, redis: ArqRedis, queue_name: str, liveness_ttl_s: float) -> None:
        self.redis = redis
        self.worker_id = uuid.uuid4().hex
        self.ttl_ms = max(int(liveness_ttl_s * 1000), 1)
        self._prefix = queue_name
        self._delete_if_equal = redis.register_script(_DELETE_IF_EQUAL)

    def _alive_key(self, worker_id: str) -> str:
        return f"{self._prefix}:alive:{worker_id}"

    def _owner_key(self, partition: str) -> str:
        return f"{self._prefix}:owner:{partition}"

    async def beat(self) -> None:
        await self.redis.set(self._alive_key(self.worker_id), b"1", px=self.ttl_ms)

    async def beat_forever(self) -> None:
        """Refresh this worker's liveness three times per TTL until cancelled."""
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                await self.beat()
            except (RedisError, OSError) as exc:  # Redis away: arq cannot poll either; retry
                logger.warning("liveness heartbeat failed", error=str(exc))

    async def own(self, partition: str, job_timeout_s: float) -> None:
        # Outlives no claim of arq's: its in-progress mark lasts the job timeout + 10 s.
        expiry_ms = int((job_timeout_s + 10) * 1000)
        await self.redis.set(self._owner_key(partition), self.worker_id.encode(), px=expiry_ms)

    async def disown(self, partition: str) -> None:
        """Drop the ownership record if it is still this worker's (atomically: a job started
        meanwhile elsewhere has recorded its own)."""
        await self._delete_if_equal(keys=[self._owner_key(partition)], args=[self.worker_id])

    async def orphaned(self, partition: str) -> bool:
        """arq holds the partition's job as started, and no live worker owns it."""
        if not await self.redis.exists(in_progress_key_prefix + catch_up_job_id(partition)):
            return False
        owner = await self.redis.get(self._owner_key(partition))
        return owner is None or not await self.redis.exists(self._alive_key(owner.decode()))

    async def release(self, partition: str) -> None:
        """Delete arq's in-progress mark of the partition's job so a live worker starts it."""
        await self.redis.delete(in_progress_key_prefix + catch_up_job_id(partition))
