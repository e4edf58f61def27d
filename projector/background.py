"""Stopping the projector's background tasks without cutting a transaction in half.

The catch-up loop and the sweep loop are told to stop (an event they check between
partitions and between sweeps) and given a grace period to get there; only what is still
running after it is cancelled. Cancelling is the last resort because of what it does to
database connections, explained in `stop_tasks`.
"""

import asyncio
import gc
from collections.abc import Sequence


async def stop_tasks(tasks: Sequence["asyncio.Task[None]"], grace_s: float) -> None:
    """Wait up to `grace_s` for tasks told to stop, then cancel the rest.

    A database call cancelled mid-flight can leave its connection out of the pool, still
    holding its transaction (and SQLite's write lock) until the garbage collector finalizes
    it (aiosqlite#259, sqlalchemy#12099); collecting right away releases it before the
    stores are closed, instead of blocking the next writer for as long as it stays alive.
    """
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if pending:
        gc.collect()
