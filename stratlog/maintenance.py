"""Projector maintenance from the command line: resume a halted partition.

A partition halts when an event cannot be decoded or applied (docs/projector.md). Once the
cause is fixed (a new projector version deployed, or the event understood), `resume` clears
the halt in the live projection generation; the next ring or sweep retries from the halted
event.
"""

from projector.opening import open_projector
from projector.settings import ProjectorSettings


async def resume_partition(settings: ProjectorSettings, partition: str) -> bool:
    """Clear `partition`'s halt; False when it was not halted (or does not exist)."""
    stores = await open_projector(settings)
    try:
        return await stores.store.resume(partition)
    finally:
        await stores.close()
