"""Settings of the read process (`STRATLOG_*` environment variables).

Extends the shared store settings with where the doorbell's counters are: the Redis hash the
ingest processes and arq workers count into. Without a Redis URL (the embedded default, whose
counters are handed to `create_app` directly) the counters read as zeros. Also how large a
request body may be (schema/security/body_limits.py).
"""

from pydantic import Field

from schema.security.body_limits import JSON_BODY_BYTES
from schema.settings import StoreSettings


class ReadSettings(StoreSettings):
    """What one read process serves from, and how long it waits for Redis."""

    redis_url: str | None = Field(None, description="Redis holding the doorbell counters.")
    max_read_body_bytes: int = Field(
        JSON_BODY_BYTES, gt=0, description="A request body (the compare routes'), as sent."
    )
    stale_after_seconds: float = Field(
        300.0, gt=0, description="A live RUNNING run silent this long is listed as stale."
    )
    read_your_writes_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="How long a request with `min_position` may wait."
    )
    redis_timeout_seconds: float = Field(
        1.0, gt=0, description="A slower Redis leaves the counters null rather than the answer."
    )
    stream_poll_seconds: float = Field(
        0.25, gt=0, le=60, description="How often a live stream reads the stores for changes."
    )
    # FastAPI pings an SSE stream idle for 15 s by itself: a longer interval would change nothing.
    stream_heartbeat_seconds: float = Field(
        15.0, gt=0, le=15, description="An idle live stream gets a comment this often."
    )
