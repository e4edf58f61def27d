"""Projector maintenance from the command line: resume a halted partition.

A partition halts when an event cannot be decoded or applied (docs/projector.md). Once the
cause is fixed (a new projector version deployed, or the event understood), `resume` clears
the halt; the next ring or sweep retries from the halted event.
"""

from projector.settings import ProjectorSettings
from projector.store import ProjectionStore
from schema.storage import is_sqlite


async def resume_partition(settings: ProjectorSettings, partition: str) -> bool:
    """Clear `partition`'s halt; False when it was not halted (or does not exist)."""
    url = settings.resolved_projection_url()
    store = await ProjectionStore.open(
        url,
        synchronous=settings.sqlite_synchronous,
        pg_schema=None if is_sqlite(url) else settings.projection_pg_schema,
    )
    try:
        return await store.resume(partition)
    finally:
        await store.close()
