"""Settings of the ingest process (`STRATLOG_*` environment variables).

Extends the shared store settings with the request limits and the log store's back-pressure
knobs. Every limit is checked before the work it bounds is done (DESIGN §3.3, §8).
"""

from pydantic import Field

from schema.doorbell import QUEUE_NAME
from schema.settings import StoreSettings

MIB = 1024 * 1024


class IngestSettings(StoreSettings):
    """What one ingest process accepts and how hard it lets the log store be pushed."""

    max_body_bytes: int = Field(16 * MIB, gt=0, description="Request body as sent (compressed).")
    max_decompressed_bytes: int = Field(64 * MIB, gt=0, description="Body after gzip/deflate.")
    max_batch_items: int = Field(10_000, gt=0, description="Items in one request.")
    max_item_bytes: int = Field(
        MIB, gt=0, description="One item's JSON text; a longer item is quarantined, cut short."
    )
    max_item_depth: int = Field(
        32, gt=0, description="Nesting of arrays and objects in one item (the item is level 1)."
    )
    max_upload_bytes: int = Field(
        1024 * MIB, gt=0, description="Body of a file upload (POST /api/ingest/upload), as sent."
    )
    max_pending_events: int = Field(
        200_000, gt=0, description="Events waiting for the group committer before 503."
    )
    max_batch_events: int = Field(
        10_000, gt=0, description="Events the group committer writes in one transaction."
    )
    retry_after_seconds: int = Field(1, ge=0, description="Retry-After sent with a 503.")
    redis_url: str | None = Field(
        None, description="Redis of the projector workers' doorbell; unset: no ring (embedded)."
    )
    queue_name: str = Field(QUEUE_NAME, description="arq queue the projector workers listen on.")
