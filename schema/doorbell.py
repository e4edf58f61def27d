"""The doorbell contract between ingest and projector workers (arq over Redis).

Ingest rings after each append: one job per partition, whose id is derived from the
partition so that rings coalesce while a job is queued. The job carries only the partition
key; the log is the only source of what to do. Both sides import these names from here.
"""

CATALOG_PARTITION = "catalog"
QUEUE_NAME = "stratlog:projector"
CATCH_UP_JOB = "catch_up_partition"


def partition_key(run_id: str | None) -> str:
    """Runs are projected independently; strategies and instances share one partition."""
    return run_id if run_id is not None else CATALOG_PARTITION


def catch_up_job_id(partition: str) -> str:
    return f"catch-up:{partition}"


# Doorbell counters, kept in a Redis hash (arq mode) or in memory (embedded mode), shown by
# the read side's /api/status and /metrics.
STATS_KEY = "stratlog:doorbell:stats"
RUNG = "rung"  # rings sent by ingest (one per partition per append)
COALESCED = "coalesced"  # rings that found that partition's job already queued or running
JOBS = "jobs"  # catch-up jobs run by workers
SWEEPS = "sweeps"  # periodic or startup sweeps run
SWEEP_WAKEUPS = "sweep_wakeups"  # partitions a sweep found behind and woke
COUNTERS = (RUNG, COALESCED, JOBS, SWEEPS, SWEEP_WAKEUPS)
