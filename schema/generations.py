"""Where each projection generation lives, and which one is live, alike in every process.

Every process derives a generation's location from its name and the store settings, so a
name in the control table (`schema.tables.generations`) means the same store to the
projector, the read API and the `stratlog` commands. The first generation is the projection
store the settings name (`projections.sqlite3`, or the `stratlog_projections` schema), so
data dirs from before generations existed are simply generation "g1"; generation N lives
beside it (`projections-gN.sqlite3`, or the schema `stratlog_projections_gN`). Reading the
pointer is a query built here and run by each side (the read API and the projector may not
share code, and this package does no I/O).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.engine import make_url

from schema.settings import StoreSettings
from schema.storage import is_sqlite
from schema.tables.generations import LIVE, projection_generations

FIRST_GENERATION = "g1"


def generation_name(number: int) -> str:
    return f"g{number}"


@dataclass(frozen=True, slots=True)
class GenerationLocation:
    """A projection store: its URL and, on PostgreSQL, its schema."""

    url: str
    pg_schema: str | None

    def for_display(self) -> str:
        """The SQLite file's path, or the schema (and the URL without its password)."""
        if self.pg_schema is None:
            return str(Path(make_url(self.url).database or "").resolve())
        url = make_url(self.url).render_as_string(hide_password=True)
        return f"schema {self.pg_schema} at {url}"


def generation_location(settings: StoreSettings, name: str) -> GenerationLocation:
    """Where generation `name` of the projection store `settings` names lives."""
    url = settings.resolved_projection_url()
    if not is_sqlite(url):
        schema = settings.projection_pg_schema
        return GenerationLocation(url, schema if name == FIRST_GENERATION else f"{schema}_{name}")
    if name == FIRST_GENERATION:
        return GenerationLocation(url, None)
    parsed = make_url(url)
    path = Path(parsed.database or "projections.sqlite3")
    beside = path.with_name(f"{path.stem}-{name}{path.suffix}")
    return GenerationLocation(
        parsed.set(database=str(beside)).render_as_string(hide_password=False), None
    )


def live_generation_query() -> Select[str]:
    """The names of the live generation (one row, or none before the first rebuild)."""
    g = projection_generations.c
    return select(g.name).where(g.status == LIVE).order_by(g.number.desc())


def live_generation(names: Iterable[str]) -> str:
    """The live generation from `live_generation_query`'s rows: the first one by default."""
    return next(iter(names), FIRST_GENERATION)
