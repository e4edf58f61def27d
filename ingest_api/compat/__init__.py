"""The existing exporters' wire contract (DESIGN §4), translated to canonical events.

The Quantower template and the older NuGet library post untyped items to paths that name
their kind; `contract` turns such an item into a canonical event dict (renaming legacy field
names, folding unknown fields into `extra_json`) that then goes through the one codec.
"""

from ingest_api.compat.contract import (
    ALIASES,
    BATCH_KINDS,
    EVENT_KINDS,
    STREAM_SECTIONS,
    ItemKind,
    event_classes,
    to_canonical,
)

__all__ = [
    "ALIASES",
    "BATCH_KINDS",
    "EVENT_KINDS",
    "STREAM_SECTIONS",
    "ItemKind",
    "event_classes",
    "to_canonical",
]
