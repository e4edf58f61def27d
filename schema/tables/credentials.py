"""Tables of the credentials: API keys for machines, users for dashboards.

They live in the log store, the one store every process reaches, so a key revoked through
one process is refused by every other on its next request (they look keys up per request).
Neither table ever holds a secret in the clear: keys are stored as a peppered HMAC, passwords
as argon2id hashes (schema/security).
"""

from sqlalchemy import Column, Index, Table, Text

from schema.tables.log import LOG_METADATA
from schema.tables.types import UtcDateTime

api_keys = Table(
    "api_keys",
    LOG_METADATA,
    Column("key_id", Text, primary_key=True, doc="Public id, also the key's second part."),
    Column("name", Text, nullable=False, doc="What the key is for, as its creator named it."),
    Column("scope", Text, nullable=False, doc="ingest, read or admin."),
    Column("key_hash", Text, nullable=False, doc="HMAC-SHA256(pepper, key), hex."),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("created_by", Text, nullable=False, doc="Who made it: cli, serve, key:<id>, user:…"),
    Column("revoked_utc", UtcDateTime, nullable=True),
)
# `stratlog serve` asks on every start whether an active admin key exists.
Index("ix_api_keys_scope", api_keys.c.scope, api_keys.c.revoked_utc)

users = Table(
    "users",
    LOG_METADATA,
    Column("username", Text, primary_key=True),
    Column("password_hash", Text, nullable=False, doc="argon2id, with its parameters."),
    Column("role", Text, nullable=False, doc="ADMIN or USER."),
    Column("created_utc", UtcDateTime, nullable=False),
    Column("created_by", Text, nullable=False),
)
