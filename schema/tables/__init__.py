"""SQLAlchemy Core table definitions: one MetaData per store."""

from schema.tables.credentials import api_keys, users
from schema.tables.generations import projection_generations
from schema.tables.log import LOG_METADATA, ingest_events, quarantine
from schema.tables.projections import PROJECTION_METADATA

__all__ = [
    "LOG_METADATA",
    "PROJECTION_METADATA",
    "api_keys",
    "ingest_events",
    "projection_generations",
    "quarantine",
    "users",
]
