"""Path and query parameters the run routes share, and the checks they make first."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from sqlalchemy.ext.asyncio import AsyncConnection

from read_api import catalog_queries as q
from read_api.errors import InvalidParameter, NotFound
from schema.tables.projections import strategy_runs

Id = Annotated[str, Path(min_length=1, max_length=256)]
Cursor = Annotated[
    str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
]


async def require_run(conn: AsyncConnection, run_id: str) -> None:
    """404 unless the run has a `strategy_runs` row."""
    if not await q.exists(conn, strategy_runs, "run_id", run_id):
        raise NotFound(f"no run {run_id!r}")


def require_utc(*moments: tuple[str, datetime | None]) -> None:
    """422 for a time given without a UTC offset (naive times are ambiguous), or one whose
    offset takes it outside the years 1-9999 in UTC (it could not be compared with any)."""
    for name, moment in moments:
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise InvalidParameter(f"{name}: give a UTC offset (e.g. Z)")
        try:
            moment.astimezone(UTC)
        except OverflowError as exc:
            raise InvalidParameter(f"{name}: out of range in UTC") from exc
