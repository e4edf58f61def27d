"""Deterministic ids: event ids derived from content, instance ids from configuration.

A derived event id is a UUIDv8 whose first 48 bits are the event's own time in milliseconds
and whose rest is a hash of the event's type and canonical content. The same event sent twice
maps to the same id (idempotency), and ids arrive roughly in time order, which keeps the log's
UNIQUE index append-mostly: with random ids SQLite's appends slow ~2x once the log is large
(DESIGN §9.1). Events without a time of their own use 0, sorting before everything else.
"""

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import orjson

_NAMESPACE = uuid.UUID("6f1d3a52-4b7e-5c1a-9e0f-2a8b7c6d5e41")
_MS_BITS = 48
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def derive_event_id(canonical: bytes, occurred_utc: datetime | None) -> str:
    """The id of an event whose client sent none: time prefix + content hash."""
    # Integer arithmetic: timestamp() * 1000 is a float and lands 1 ms short for some times.
    millis = max(0, (occurred_utc - _EPOCH) // _ONE_MS) if occurred_utc else 0
    millis &= (1 << _MS_BITS) - 1
    digest = int.from_bytes(hashlib.blake2b(canonical, digest_size=10).digest(), "big")
    high_hash, low_hash = digest >> 62, digest & ((1 << 62) - 1)  # 18 + 62 bits
    value = (millis << 80) | (0x8 << 76) | ((high_hash & 0xFFF) << 64) | (0b10 << 62) | low_hash
    text = f"{value:032x}"  # str(uuid.UUID(int=value)) without the object: this is per event
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def stable_uuid(*parts: str) -> str:
    """A UUIDv5 of the given parts: the same inputs always give the same id."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def derive_instance_id(
    strategy_id: str,
    parameters: Mapping[str, object] | None,
    symbols: Sequence[str],
    timeframe: str | None,
    account_id: str | None,
    venue: str | None,
) -> str:
    """An instance's identity from its configuration, stable across restarts."""
    canonical_parameters = orjson.dumps(parameters or {}, option=orjson.OPT_SORT_KEYS).decode()
    return stable_uuid(
        "instance",
        strategy_id,
        canonical_parameters,
        ",".join(sorted(symbols)),
        timeframe or "",
        account_id or "",
        venue or "",
    )
