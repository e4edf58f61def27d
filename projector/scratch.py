"""Scratch generations: built beside the live one to be compared or copied from, never
swapped in (`stratlog verify`, `stratlog rebuild --run`).

`scratch_generation` opens the control table and the log, prunes what earlier runs left
(projector/rebuild.py), opens the live generation (which must have been built by this code's
projection versions: a store made by other code cannot be compared with, or patched by, what
this code builds) and creates the scratch generation, leased to this process; at the end,
whatever happened, the scratch store is dropped. Should this process die first, the next
rebuild or verify drops it once its lease is stale.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from projector.generation_stores import drop_generation, open_generation
from projector.generations import Generations
from projector.leases import LEASE_S, process_owner
from projector.log_feed import LogFeed
from projector.opening import open_feed
from projector.rebuild import prune
from projector.rebuild_progress import Meter, ProgressHook
from projector.store import ProjectionStore
from projector.versions import Compatibility, Versions, compare
from projector.versions import stored_versions as versions_of
from schema.settings import StoreSettings


class LiveBuiltByOtherVersions(Exception):
    """The live generation was built by other projection versions than this code's."""


@dataclass(frozen=True, slots=True)
class Scratch:
    """The open live generation and a scratch generation beside it."""

    control: Generations
    feed: LogFeed
    owner: str
    live_name: str
    live: ProjectionStore
    name: str
    store: ProjectionStore

    def meter(self, hook: ProgressHook | None = None) -> Meter:
        """Renews the scratch generation's lease (and reports progress) while it is built."""
        return Meter(self.control, self.feed, self.store, self.name, self.owner, hook)


@asynccontextmanager
async def scratch_generation(
    settings: StoreSettings, purpose: str, reason: str, versions: Versions
) -> AsyncIterator[Scratch]:
    owner = process_owner()
    control = await Generations.open(settings)
    feed = open_feed(settings)
    try:
        await prune(control, settings, lease_s=LEASE_S)
        live_name = await control.live_name()
        live = await open_generation(settings, live_name)
        try:
            built_by = await versions_of(live, versions)
            if compare(built_by, versions) is not Compatibility.SAME:
                raise LiveBuiltByOtherVersions(
                    f"the live generation {live_name} was built by projection versions "
                    f"{built_by}, this code has {dict(versions)}: `stratlog rebuild` first"
                )
            scratch = await control.create(purpose, reason, versions, owner, built_by)
            assert scratch is not None  # only rebuilds to swap in are one at a time
            try:
                store = await open_generation(settings, scratch.name)
                try:
                    yield Scratch(control, feed, owner, live_name, live, scratch.name, store)
                finally:
                    await store.close()
            finally:
                await drop_generation(settings, scratch.name)
                await control.mark_dropped(scratch.name)
        finally:
            await live.close()
    finally:
        await feed.engine.dispose()
        await control.close()
