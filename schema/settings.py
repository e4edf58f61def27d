"""Where the stores are: settings every process reads (`STRATLOG_*` environment variables).

The embedded default keeps both stores as SQLite files in the data directory; pointing the
URLs at PostgreSQL scales out with no code change (DESIGN §2). Each process extends this with
its own settings.
"""

from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


def _origin_list(value: Any) -> Any:
    """`STRATLOG_CORS_ORIGINS` as a JSON list or comma-separated."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return orjson.loads(text)
        return [origin.strip() for origin in text.split(",") if origin.strip()]
    return value


Origins = Annotated[list[str], NoDecode, BeforeValidator(_origin_list)]


class StoreSettings(BaseSettings):
    """Locations and durability of the log store and the projection store."""

    model_config = SettingsConfigDict(env_prefix="STRATLOG_", extra="ignore")

    data_dir: Path = Path("stratlog-data")
    log_url: str | None = None
    projection_url: str | None = None
    sqlite_synchronous: SqliteSynchronous = "FULL"
    log_pg_schema: str = "stratlog_log"
    projection_pg_schema: str = "stratlog_projections"
    auth_enabled: bool = Field(
        True,
        description="Off only for `stratlog serve --insecure-local` (loopback): every request "
        "is then let in with every scope. Unsafe anywhere else.",
    )
    secret_key: SecretStr | None = Field(
        None,
        min_length=32,
        description="The deployment's secret (API-key pepper, token signing key); unset: "
        "`<data_dir>/secret.key`, generated once. Required when processes share a "
        "PostgreSQL log store from several hosts.",
    )
    token_lifetime_seconds: int = Field(
        3600, gt=0, le=30 * 24 * 3600, description="How long a dashboard login token is valid."
    )
    # Limits every HTTP app applies (docs/security.md, "Limits and hostile input").
    rate_limit_per_second: float = Field(
        2000.0, ge=0, description="Requests a second per API key or user, per process; 0: off."
    )
    rate_limit_burst: int = Field(4000, gt=0, description="Requests at once above that rate.")
    auth_failures_per_minute: float = Field(
        30.0, ge=0, description="Failed authentications a minute per client address; 0: off."
    )
    auth_failure_burst: int = Field(
        30, gt=0, description="Failed authentications in a row before an address is slowed."
    )
    cors_origins: Origins = Field(
        [],
        description="Browser origins allowed to call the APIs (CORS); none by default.",
    )

    def resolved_log_url(self) -> str:
        """The log store URL; by default a SQLite file of its own in the data directory."""
        return self.log_url or f"sqlite+aiosqlite:///{self.data_dir / 'log.sqlite3'}"

    def resolved_projection_url(self) -> str:
        """The projection store URL; by default a second SQLite file beside the log."""
        return self.projection_url or (
            f"sqlite+aiosqlite:///{self.data_dir / 'projections.sqlite3'}"
        )
