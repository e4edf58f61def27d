"""Read-your-writes: the `min_position` parameter and the `X-Projection-Position` header.

Every router declares, once, what its answers are read from (`reflecting(...)`): a run's
projections or analytics, the catalog, or the log itself. Before the route runs, its
dependency works out the horizon of that source (read_api/horizons.py) and puts it in the
`X-Projection-Position` header: the answer reflects every log event up to that position.
The horizon is read before the data, so the data is never older than the header says.

A client that has just ingested up to position N asks with `min_position=N`: the request
waits (polling, bounded by `read_your_writes_timeout_seconds`) until the horizon reaches N,
or is answered 409 with the horizon it did reach.
"""

import asyncio
import time
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response

from read_api.dependencies import SettingsDep, StoresDep
from read_api.errors import ErrorBody, NotYetProjected
from read_api.horizons import log_head, partition_horizon, store_horizon
from read_api.status import StatusStores
from schema.doorbell import CATALOG_PARTITION

POSITION_HEADER = "X-Projection-Position"

Source = Literal["projection", "analytics", "catalog", "log"]

MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="Wait until the answer reflects the log up to this position (409 if it "
        "does not in time). Use the last position an ingest answer returned.",
    ),
]

# What `reflecting`'s dependency can answer, for the routers that declare it to document.
NOT_YET_PROJECTED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "`min_position` was not reached in time."},
}

_FIRST_POLL_S = 0.01
_MAX_POLL_S = 0.2


async def horizon_of(stores: StatusStores, source: Source, run_id: str | None) -> int:
    """The position answers read from `source` (about `run_id`, if any) reflect."""
    if source == "log":
        return await log_head(stores.log)
    if source == "catalog":
        return await partition_horizon(
            stores.log, stores.projections, CATALOG_PARTITION, "projection"
        )
    if run_id is not None:
        return await partition_horizon(stores.log, stores.projections, run_id, source)
    return await store_horizon(stores.log, stores.projections, source)


async def wait_for_horizon(
    stores: StatusStores, source: Source, run_id: str | None, wanted: int, timeout_s: float
) -> int:
    """The horizon, once it reaches `wanted`; `NotYetProjected` if it does not in time."""
    deadline = time.monotonic() + timeout_s
    pause = _FIRST_POLL_S
    while True:
        reached = await horizon_of(stores, source, run_id)
        left = deadline - time.monotonic()
        if reached >= wanted:
            return reached
        if left <= 0:
            raise NotYetProjected(wanted, reached)
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, _MAX_POLL_S)


def reflecting(source: Source) -> Any:
    """The dependency a router declares (with `responses=NOT_YET_PROJECTED`): its answers'
    horizon, awaited and put in the header.

    For "projection" and "analytics", a `run_id` in the path or the query narrows the
    horizon to that run's partition; without one it is the whole store's.
    """

    async def dependency(
        request: Request,
        response: Response,
        stores: StoresDep,
        settings: SettingsDep,
        min_position: MinPosition = None,
    ) -> None:
        run_id = request.path_params.get("run_id") or request.query_params.get("run_id")
        if min_position is None:
            position = await horizon_of(stores, source, run_id)
        else:
            timeout = settings.read_your_writes_timeout_seconds
            position = await wait_for_horizon(stores, source, run_id, min_position, timeout)
        response.headers[POSITION_HEADER] = str(position)

    return Depends(dependency)
