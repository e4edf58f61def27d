"""The rebuild a projector starts by itself when its projection versions are newer.

At start, a projector (an arq worker, or the embedded one) compares its code's projection
versions with those of the live generation (projector/versions.py). When the code is newer,
it leaves the live generation alone (frozen: its rows were made by the old code, and new
code must not mix its own rows in, nor write tables whose shape may have changed), keeps
serving reads from it, and runs `rebuild` in a background task: a new generation built by
this code, swapped in when caught up, after which every projector moves to it and carries
on. With N projectors, one builds (the generation's lease) and the others check back every
lease period, taking over if the builder dies. A projector whose code is *older* than the
live generation's (left over from before a deploy) writes nothing and rebuilds nothing.
"""

import asyncio

import structlog

from projector.leases import LEASE_S
from projector.opening import ProjectorStores
from projector.rebuild import VERSION_CHANGE, RebuildBusy, drop_replaced, rebuild
from projector.versions import Compatibility

logger = structlog.get_logger("stratlog.projector")


def start_rebuild_if_outdated(
    stores: ProjectorStores, *, retry_s: float = LEASE_S
) -> "asyncio.Task[None] | None":
    """A background task rebuilding with this code when the live generation is older."""
    if stores.compatibility is not Compatibility.CODE_NEWER:
        return None
    return asyncio.create_task(rebuild_while_outdated(stores, retry_s), name="projector-rebuild")


async def rebuild_while_outdated(stores: ProjectorStores, retry_s: float) -> None:
    """Build and swap in a generation made by this code, or wait for whoever is building it,
    until the live generation is one this code may write."""
    while True:
        await stores.follow(now=True)
        if stores.compatibility is not Compatibility.CODE_NEWER:
            return
        logger.warning(
            "projection versions changed: rebuilding into a new generation",
            live=stores.generation,
        )
        try:
            report = await rebuild(
                stores.settings,
                reason=VERSION_CHANGE,
                versions=stores.versions,
                batch_size=stores.batch_size,
            )
            logger.info(
                f"rebuild {report.generation}: applied={report.applied_events} "
                f"in {report.seconds:.1f}s, replaced {', '.join(report.replaced) or 'nothing'}",
                halted=report.halted,
            )
            await drop_replaced(stores.settings, report.replaced)
        except RebuildBusy as busy:
            logger.info("another process is rebuilding", generation=busy.generation.name)
        except Exception:  # a store away, a lost lease: try again, the work done is kept
            logger.exception("automatic rebuild failed; retrying")
        else:
            continue
        await asyncio.sleep(retry_s)
