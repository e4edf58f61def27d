"""Where the stores are: settings every process reads (`STRATLOG_*` environment variables).

The embedded default keeps both stores as SQLite files in the data directory; pointing the
URLs at PostgreSQL scales out with no code change (DESIGN §2). Each process extends this with
its own settings.
"""

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


class StoreSettings(BaseSettings):
    """Locations and durability of the log store and the projection store."""

    model_config = SettingsConfigDict(env_prefix="STRATLOG_", extra="ignore")

    data_dir: Path = Path("stratlog-data")
    log_url: str | None = None
    projection_url: str | None = None
    sqlite_synchronous: SqliteSynchronous = "FULL"
    log_pg_schema: str = "stratlog_log"
    projection_pg_schema: str = "stratlog_projections"

    def resolved_log_url(self) -> str:
        """The log store URL; by default a SQLite file of its own in the data directory."""
        return self.log_url or f"sqlite+aiosqlite:///{self.data_dir / 'log.sqlite3'}"

    def resolved_projection_url(self) -> str:
        """The projection store URL; by default a second SQLite file beside the log."""
        return self.projection_url or (
            f"sqlite+aiosqlite:///{self.data_dir / 'projections.sqlite3'}"
        )
