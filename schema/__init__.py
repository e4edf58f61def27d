"""The single source of truth for every shape stratlog stores or sends.

Event models, the codec every process decodes through, upcasters, event-id derivation and
the SQLAlchemy Core table definitions. Pure: pydantic and SQLAlchemy metadata, no I/O.
"""
