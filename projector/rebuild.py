"""Rebuild: a new projection generation built from position 0 beside the live one, swapped in.

The new generation is a complete projection store filled by the ordinary runner: discover the
partitions, catch each up from position 0 (the catalog first), again while events keep
arriving, then swap it in with one transaction on the control table and catch up once more
for the events appended meanwhile (racing the live projector there is harmless: each batch
advances its checkpoint by compare-and-set). Readers and projectors look at the pointer at
least once a second and move over; the previous generation is dropped after a grace period
longer than that (or by the next rebuild, which prunes whatever is left).

Runs' analyses leave the instance and strategy aggregates to one pass before the swap
(`build_aggregates`), which reads each run once per aggregate it belongs to.
Memory stays bounded whatever the log's size: the runner holds one batch (and one run's
analysis) at a time; the aggregate pass, one strategy's runs at a time. A crash
or Ctrl-C leaves the new generation `building` with its checkpoints committed batch by batch,
and the next `rebuild` takes it over and resumes from them (the lease, projector/leases.py,
keeps two builders off one generation): startup, recovery and rebuild are one path.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from projector.analytics import refresh_every_aggregate
from projector.generation_stores import drop_generation, open_generation
from projector.generations import Generation, Generations
from projector.leases import LEASE_S, process_owner
from projector.log_feed import LogFeed
from projector.opening import open_feed
from projector.rebuild_progress import Meter, ProgressHook, applied_events
from projector.runner import Runner
from projector.store import ProjectionStore
from projector.versions import (
    PROJECTION_VERSIONS,
    Compatibility,
    Versions,
    compare,
    record_versions,
    stored_versions,
)
from schema.doorbell import CATALOG_PARTITION
from schema.generations import FIRST_GENERATION
from schema.settings import StoreSettings
from schema.tables.generations import BUILDING, REBUILD

MANUAL = "manual"
VERSION_CHANGE = "version change"
RETIRE_GRACE_S = 10.0  # readers look at the pointer every second; their queries are short
_MAX_ROUNDS = 20  # under ingest faster than the rebuild, swap anyway and let it catch up live


@dataclass(frozen=True, slots=True)
class RebuildReport:
    generation: str
    replaced: list[str]
    resumed_events: int  # already applied when this process took the generation over
    applied_events: int  # applied by this process
    seconds: float
    halted: list[str]  # partitions stopped at an event they could not apply


class RebuildBusy(Exception):
    """Another live process is building a generation (and waiting was not asked for)."""

    def __init__(self, generation: Generation) -> None:
        super().__init__(f"generation {generation.name} is being built by {generation.owner}")
        self.generation = generation


class BuiltElsewhere(Exception):
    """The generation waited for was finished (or given up) by the process building it."""

    def __init__(self, generation: Generation) -> None:
        super().__init__(f"generation {generation.name} is {generation.status} now")
        self.generation = generation


WaitHook = Callable[[Generation], None]


async def rebuild(
    settings: StoreSettings,
    *,
    reason: str = MANUAL,
    versions: Versions = PROJECTION_VERSIONS,
    batch_size: int = 1000,
    on_progress: ProgressHook | None = None,
    on_wait: WaitHook | None = None,
    lease_s: float = LEASE_S,
) -> RebuildReport:
    """Build (or resume) a generation from the log and swap it in (the one it replaced stays
    readable: `drop_replaced` it). Waits for another builder's lease when `on_wait` is
    given, else raises `RebuildBusy`."""
    owner = process_owner()
    control = await Generations.open(settings)
    feed = open_feed(settings)
    try:
        await prune(control, settings, lease_s=lease_s)
        generation = await _take_generation(
            control, settings, owner, reason, versions, on_wait, lease_s
        )
        try:
            report = await _build(
                control, feed, settings, generation, owner, batch_size, on_progress
            )
        finally:
            await control.release(generation.name, owner)  # no-op once swapped
        return report
    finally:
        await feed.engine.dispose()
        await control.close()


async def drop_replaced(
    settings: StoreSettings, names: Sequence[str], *, after_s: float = RETIRE_GRACE_S
) -> None:
    """Drop the generations a swap retired once readers have moved off them."""
    if not names:
        return
    await asyncio.sleep(after_s)
    control = await Generations.open(settings)
    try:
        for name in names:
            await drop_generation(settings, name)
            await control.mark_dropped(name)
    finally:
        await control.close()


async def prune(control: Generations, settings: StoreSettings, *, lease_s: float) -> list[str]:
    """Drop what earlier runs left: generations retired longer ago than the grace period, and
    scratch generations (a verify's, a run rebuild's) whose builder is gone; their names."""
    now = control.clock()
    dropped = await control.retired_before(now - timedelta(seconds=RETIRE_GRACE_S))
    for g in await control.all():
        if g.status == BUILDING and g.purpose != REBUILD and g.lease_is_free("", now, lease_s):
            dropped.append(g.name)
    for name in dropped:
        await drop_generation(settings, name)
        await control.mark_dropped(name)
    return dropped


async def _take_generation(
    control: Generations,
    settings: StoreSettings,
    owner: str,
    reason: str,
    versions: Versions,
    on_wait: WaitHook | None,
    lease_s: float,
) -> Generation:
    """The generation to build: the one being built (taken over once its lease is free, or
    abandoned if other versions made it), or a new one."""
    waited_for: Generation | None = None
    while True:
        generations = await control.all()
        building = [g for g in generations if g.purpose == REBUILD and g.status == BUILDING]
        if waited_for is not None and not building:
            done = next(g for g in generations if g.name == waited_for.name)
            if done.status != BUILDING:
                raise BuiltElsewhere(done)
        if not building:
            live = await _live_versions(control, settings, versions)
            created = await control.create(REBUILD, reason, versions, owner, live)
            if created is not None:
                return created
            continue  # another process created one just now
        generation = building[-1]
        if generation.lease_is_free(owner, control.clock(), lease_s):
            if compare(generation.versions, versions) is not Compatibility.SAME:
                await drop_generation(settings, generation.name)  # other code's: start over
                await control.mark_dropped(generation.name)
                continue
            if await control.claim(generation, owner, lease_s):
                return generation
            continue
        if on_wait is None:
            raise RebuildBusy(generation)
        on_wait(generation)
        waited_for = generation
        await asyncio.sleep(min(1.0, lease_s / 4))


async def _live_versions(control: Generations, settings: StoreSettings, code: Versions) -> Versions:
    """The versions the live generation was built with (for its row, made by the first
    rebuild: until then it has none)."""
    if await control.all():
        return code  # unused: the live generation already has its row
    store = await open_generation(settings, FIRST_GENERATION)
    try:
        return await stored_versions(store, code)
    finally:
        await store.close()


async def _build(
    control: Generations,
    feed: LogFeed,
    settings: StoreSettings,
    generation: Generation,
    owner: str,
    batch_size: int,
    on_progress: ProgressHook | None,
) -> RebuildReport:
    store = await open_generation(settings, generation.name)
    try:
        await record_versions(store, generation.versions)
        runner = Runner(feed, store, batch_size=batch_size, aggregates=False)
        async with Meter(control, feed, store, generation.name, owner, on_progress) as meter:
            await catch_up_until_quiet(runner)
            await build_aggregates(store)
        replaced = await control.swap(generation.name, owner)
        # Live now: what arrived meanwhile is analyzed as the live projector does.
        await catch_up_until_quiet(Runner(feed, store, batch_size=batch_size), rounds=1)
        return RebuildReport(
            generation=generation.name,
            replaced=replaced,
            resumed_events=meter.first_applied,
            applied_events=await applied_events(store) - meter.first_applied,
            seconds=meter.seconds,
            halted=[
                c.partition for c in await store.all_checkpoints() if c.halted_position is not None
            ],
        )
    finally:
        await store.close()


async def catch_up_until_quiet(runner: Runner, *, rounds: int = _MAX_ROUNDS) -> int:
    """Discover and catch every partition up (the catalog first, so runs resolve their
    strategy as a live store would), round after round until a round applies less than a
    batch; the events applied."""
    total = 0
    for _ in range(rounds):
        applied = 0
        behind = await runner.discover()
        for partition in sorted(behind, key=lambda p: (p != CATALOG_PARTITION, p)):
            applied += (await runner.catch_up(partition)).applied
        total += applied
        if applied < runner.batch_size:
            break
    return total


async def build_aggregates(store: ProjectionStore) -> None:
    """Every instance and strategy aggregate of a generation built by a runner that deferred
    them (`aggregates=False`): once each, instead of a strategy's at every analysis of one
    of its runs, which made a build's time grow with the square of a strategy's runs."""
    async with store.transaction() as conn:
        await refresh_every_aggregate(conn)
