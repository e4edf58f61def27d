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
