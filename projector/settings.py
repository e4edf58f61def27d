"""Settings of a projector process (`STRATLOG_*` environment variables).

Extends the shared store settings with the doorbell (Redis URL, arq queue) and the knobs that
bound how late a projection can be: the poll delay decides how soon a rung job starts (arq's
default 0.5 s gives ~260 ms p50 before a job even starts, DESIGN §9.1), the sweep interval
how soon an event whose ring was lost is found anyway.
"""

from typing import Literal

from pydantic import Field

from schema.doorbell import QUEUE_NAME
from schema.settings import StoreSettings

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ProjectorSettings(StoreSettings):
    """What a projector worker connects to and how it paces its work."""

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="The doorbell's Redis.")
    queue_name: str = Field(QUEUE_NAME, description="The arq queue only projector jobs use.")
    batch_size: int = Field(1000, gt=0, description="Events applied per transaction.")
    job_timeout_seconds: float = Field(
        60.0,
        gt=0,
        description="A catch-up job longer than this is cancelled (its committed batches "
        "stay) and re-rung; arq also holds a crashed worker's job this long plus 10 s.",
    )
    poll_delay_seconds: float = Field(0.01, gt=0, description="How often arq polls the queue.")
    sweep_interval_seconds: float = Field(
        2.0, gt=0, description="How often every partition behind the log is woken anyway."
    )
    max_jobs: int = Field(10, gt=0, description="Catch-up jobs one worker runs at once.")
    liveness_ttl_seconds: float = Field(
        5.0,
        gt=0,
        description="A worker silent this long is taken for dead: the next sweeps free the "
        "jobs it held, instead of arq holding them for the job timeout + 10 s.",
    )
    health_check_interval_seconds: float = Field(10.0, gt=0)
    log_level: LogLevel = "INFO"
