"""Every process derives the same store from a generation's name and the store settings."""

from pathlib import Path

from schema.generations import FIRST_GENERATION, generation_location, live_generation
from schema.settings import StoreSettings

PG = "postgresql+asyncpg://stratlog@db.internal/stratlog"


def test_the_first_generation_is_the_configured_store_so_old_data_dirs_keep_working() -> None:
    sqlite = StoreSettings(data_dir=Path("/data"))
    postgres = StoreSettings(projection_url=PG, projection_pg_schema="proj")

    assert generation_location(sqlite, FIRST_GENERATION).url == (
        "sqlite+aiosqlite:////data/projections.sqlite3"
    )
    assert generation_location(postgres, FIRST_GENERATION).pg_schema == "proj"


def test_later_generations_live_beside_the_first() -> None:
    sqlite = StoreSettings(projection_url="sqlite+aiosqlite:////var/x/proj.db")
    postgres = StoreSettings(projection_url=PG, projection_pg_schema="proj")

    assert generation_location(sqlite, "g7").url == "sqlite+aiosqlite:////var/x/proj-g7.db"
    assert generation_location(sqlite, "g7").pg_schema is None
    assert generation_location(postgres, "g7").url == PG
    assert generation_location(postgres, "g7").pg_schema == "proj_g7"


def test_without_a_live_row_the_first_generation_is_live() -> None:
    assert live_generation([]) == FIRST_GENERATION
    assert live_generation(["g3"]) == "g3"
