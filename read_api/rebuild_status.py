"""What `/api/status` says about projection generations: the one served, the one being built.

Read from the control table in the log store (schema/tables/generations.py), where a
builder records its progress with every heartbeat, about once a second. No table yet (no
rebuild ever ran and ingest has not started) reads as the first generation, nothing built.
"""

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from read_api.connections import reading
from read_api.generations import has_generations_table
from schema.generations import FIRST_GENERATION
from schema.tables import projection_generations
from schema.tables.generations import BUILDING, LIVE


class RebuildStatus(BaseModel):
    """A projection generation being built beside the live one."""

    generation: str
    purpose: str = Field(
        description="rebuild (swapped in once caught up), verify (compared with the live "
        "one, then dropped) or run (one run's rows, copied into the live one)."
    )
    reason: str = Field(description='Why: "manual", "version change", "verify", "run <id>".')
    started_utc: datetime
    updated_utc: datetime | None = Field(description="Its builder's last heartbeat.")
    owner: str | None = Field(description="host:pid:token of its builder; null: none now.")
    applied_events: int = Field(description="Events applied to it so far.")
    total_events: int = Field(description="Events in the log when last counted.")
    head_position: int = Field(description="The log head when last counted.")
    events_per_second: float | None = Field(description="Its builder's rate since it started.")
    eta_seconds: float | None = Field(description="At that rate; null when unknown.")


async def read_generations(log: AsyncEngine) -> tuple[str, RebuildStatus | None]:
    """The live generation's name, and the generation being built (the latest), if any."""
    g = projection_generations.c
    query = select(projection_generations).where(g.status.in_([LIVE, BUILDING]))
    async with reading(log, "log") as conn:
        if not await conn.run_sync(has_generations_table):
            return FIRST_GENERATION, None
        rows = (await conn.execute(query.order_by(g.number))).mappings().all()
    live = [row["name"] for row in rows if row["status"] == LIVE]
    building = [row for row in rows if row["status"] == BUILDING]
    if not building:
        return (live[-1] if live else FIRST_GENERATION), None
    row = building[-1]
    rate, left = row["events_per_second"], row["total_events"] - row["applied_events"]
    return (live[-1] if live else FIRST_GENERATION), RebuildStatus(
        generation=row["name"],
        purpose=row["purpose"],
        reason=row["reason"],
        started_utc=row["created_utc"],
        updated_utc=row["heartbeat_utc"],
        owner=row["owner"],
        applied_events=row["applied_events"],
        total_events=row["total_events"],
        head_position=row["head_position"],
        events_per_second=rate,
        eta_seconds=max(0, left) / rate if rate else None,
    )
