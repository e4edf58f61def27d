"""Ingest's side of the doorbell: one job per partition touched, and never a failed append."""

import socket
from pathlib import Path

from structlog.testing import capture_logs

from ingest_api.doorbell import connect_doorbell
from schema.doorbell import (
    CATALOG_PARTITION,
    COALESCED,
    JOBS,
    RUNG,
    catch_up_job_id,
)
from tests.fixtures.sessions import RUN, bracket_session
from tests.integration.worker_env import ARQ_CLOSE_DEPRECATION, run_burst, worker_env

pytestmark = ARQ_CLOSE_DEPRECATION


async def test_a_ring_enqueues_one_job_per_distinct_partition_carrying_only_its_key(
    tmp_path: Path,
) -> None:
    async with worker_env("sqlite", tmp_path) as env:
        await env.doorbell.ring(["run-a", None, "run-a", "run-b", None])

        queued = sorted(await env.redis.zrange(env.settings.queue_name, 0, -1))
        expected = sorted(catch_up_job_id(p).encode() for p in ("run-a", "run-b", "catalog"))
        assert queued == expected
        counters = await env.counters()
        assert (counters[RUNG], counters[COALESCED]) == (3, 0)
        jobs = await env.doorbell._redis.queued_jobs(queue_name=env.settings.queue_name)
        assert sorted(job.args for job in jobs) == [("catalog",), ("run-a",), ("run-b",)]
        assert all(job.kwargs == {} for job in jobs)


async def test_rings_while_a_job_is_queued_count_as_coalesced(tmp_path: Path) -> None:
    async with worker_env("sqlite", tmp_path) as env:
        for _ in range(3):
            await env.doorbell.ring([RUN])
        counters = await env.counters()
        assert (counters[RUNG], counters[COALESCED]) == (3, 2)
        assert await env.redis.zcard(env.settings.queue_name) == 1


async def test_a_ring_with_redis_unreachable_logs_a_warning_and_returns(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    doorbell = connect_doorbell(f"redis://127.0.0.1:{port}/0", timeout_s=0.5)
    try:
        with capture_logs() as logs:
            await doorbell.ring([RUN, None])
    finally:
        await doorbell.close()
    (warning,) = logs
    assert warning["log_level"] == "warning"
    assert warning["partitions"] == 2
    assert "ConnectionError" in warning["error"]


async def test_events_whose_ring_failed_are_projected_by_the_next_worker_sweep(
    tmp_path: Path,
) -> None:
    async with worker_env("sqlite", tmp_path) as env:
        unreachable = connect_doorbell("redis://127.0.0.1:1/0", timeout_s=0.5)
        try:
            await unreachable.ring(await env.append(bracket_session()))
        finally:
            await unreachable.close()
        assert await env.redis.zcard(env.settings.queue_name) == 0

        assert await run_burst(env) == 2  # the startup sweep found both partitions
        assert await env.lagging() == {}
        assert (await env.counters())[JOBS] == 2
        assert {c.partition for c in await env.store.all_checkpoints()} == {RUN, CATALOG_PARTITION}
