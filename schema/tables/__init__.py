"""SQLAlchemy Core table definitions: one MetaData per store."""

from schema.tables.log import LOG_METADATA, ingest_events, quarantine

__all__ = ["LOG_METADATA", "ingest_events", "quarantine"]
