"""Catalogue routes: strategies and their instances, on the dashboards' paths
(`/api/strategies/…`) and their v1 twins (`/api/v1/strategies`, `/api/v1/instances`).

Lists are pages by id (`limit`, and the opaque `cursor` of the previous page). A row created
only because something referred to it is listed with `placeholder` true. An unknown id in the
path is a 404; a filter that matches nothing is an empty page.
"""

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, Field, Json, JsonValue

from read_api import catalog_queries as q
from read_api.connections import reading
from read_api.dependencies import StoresDep
from read_api.errors import ErrorBody, NotFound
from read_api.routes.documented import reflecting_router
from schema.tables.projections import strategies, strategy_instances

router = reflecting_router("catalog", "catalog")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown strategy."},
    422: {"model": ErrorBody, "description": "A parameter is not valid."},
    503: {"model": ErrorBody, "description": "The projection store cannot be read."},
}
Id = Annotated[str, Path(min_length=1, max_length=256)]
Cursor = Annotated[
    str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
StrategyFilter = Annotated[
    str | None, Query(min_length=1, max_length=256, description="Only this strategy's.")
]


class StrategyItem(BaseModel):
    """A strategy as registered (or a placeholder named only by its instances or runs)."""

    strategy_id: str
    name: str | None
    strategy_version: str | None
    vendor: str | None
    source_ref: str | None
    notes: str | None
    extra_json: Json[JsonValue] | None = Field(description="Extra fields, as sent.")
    placeholder: bool = Field(description="Referred to, not registered yet.")


class StrategyPage(BaseModel):
    """Strategies by id; pass `next_cursor` back for the next page."""

    items: list[StrategyItem]
    next_cursor: str | None = Field(description="Null on the last page.")


class InstanceItem(BaseModel):
    """A configured instance of a strategy."""

    instance_id: str
    strategy_id: str | None
    instance_name: str | None
    parameters_json: Json[JsonValue] | None = Field(description="Its parameters, as sent.")
    symbol: str | None
    symbols_json: Json[JsonValue] | None
    timeframe: str | None = Field(description="Normalised (1m, 4h, 1d…).")
    timeframe_raw: str | None = Field(description="As sent.")
    account_id: str | None
    venue: str | None
    derived_id: bool = Field(description="The id was derived from the configuration.")
    placeholder: bool = Field(description="Referred to, not registered yet.")


class InstancePage(BaseModel):
    """Instances by id; pass `next_cursor` back for the next page."""

    items: list[InstanceItem]
    next_cursor: str | None = Field(description="Null on the last page.")


async def _strategies(stores: StoresDep, limit: int, cursor: str | None) -> StrategyPage:
    after = q.cursor_key(cursor, ["str"])
    async with reading(stores.projections) as conn:
        rows = await q.strategies_page(conn, after, limit + 1)
    return StrategyPage(
        items=[StrategyItem.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, ["strategy_id"]),
    )


async def _instances(
    stores: StoresDep, strategy_id: str | None, limit: int, cursor: str | None, *, known: bool
) -> InstancePage:
    after = q.cursor_key(cursor, ["str"])
    async with reading(stores.projections) as conn:
        must_exist = known and strategy_id is not None
        if must_exist and not await q.exists(conn, strategies, "strategy_id", str(strategy_id)):
            raise NotFound(f"no strategy {strategy_id!r}")
        rows = await q.instances_page(conn, strategy_id, after, limit + 1)
    return InstancePage(
        items=[InstanceItem.model_validate(row) for row in rows[:limit]],
        next_cursor=q.page_cursor(rows, limit, ["instance_id"]),
    )


@router.get("/api/strategies/", response_model=StrategyPage, responses=_ERRORS)
async def dashboard_strategies(
    stores: StoresDep, limit: Limit = 1000, cursor: Cursor = None
) -> StrategyPage:
    """Every strategy, placeholders included and flagged, by id."""
    return await _strategies(stores, limit, cursor)


@router.get("/api/v1/strategies", response_model=StrategyPage, responses=_ERRORS)
async def list_strategies(
    stores: StoresDep, limit: Limit = 100, cursor: Cursor = None
) -> StrategyPage:
    """Every strategy, placeholders included and flagged, by id."""
    return await _strategies(stores, limit, cursor)


@router.get("/api/strategies/{strategy_id}", response_model=StrategyItem, responses=_ERRORS)
async def dashboard_strategy(stores: StoresDep, strategy_id: Id) -> StrategyItem:
    """One strategy."""
    async with reading(stores.projections) as conn:
        row = await q.row_of(conn, strategies, "strategy_id", strategy_id)
    if row is None:
        raise NotFound(f"no strategy {strategy_id!r}")
    return StrategyItem.model_validate(row)


@router.get(
    "/api/strategies/{strategy_id}/instances", response_model=InstancePage, responses=_ERRORS
)
async def dashboard_strategy_instances(
    stores: StoresDep, strategy_id: Id, limit: Limit = 1000, cursor: Cursor = None
) -> InstancePage:
    """A strategy's instances, by id."""
    return await _instances(stores, strategy_id, limit, cursor, known=True)


@router.get("/api/v1/instances", response_model=InstancePage, responses=_ERRORS)
async def list_instances(
    stores: StoresDep, strategy_id: StrategyFilter = None, limit: Limit = 100, cursor: Cursor = None
) -> InstancePage:
    """Instances (of one strategy when `strategy_id` is given), by id."""
    return await _instances(stores, strategy_id, limit, cursor, known=False)


@router.get("/api/v1/instances/{instance_id}", response_model=InstanceItem, responses=_ERRORS)
async def get_instance(stores: StoresDep, instance_id: Id) -> InstanceItem:
    """One instance."""
    async with reading(stores.projections) as conn:
        row = await q.row_of(conn, strategy_instances, "instance_id", instance_id)
    if row is None:
        raise NotFound(f"no instance {instance_id!r}")
    return InstanceItem.model_validate(row)
