"""Upcasters: how a stored event of an older version becomes the current version.

A published event never changes. When a type needs a new shape, add a version to its class,
keep the old golden file, and register here a function that turns a version-N dict into a
version-N+1 dict. Decoding applies the chain until the current version, so every process sees
only current classes and the log is never rewritten.
"""

from collections.abc import Callable, Mapping
from typing import Any

JsonDict = dict[str, Any]
Upcaster = Callable[[JsonDict], JsonDict]

# (event type, version it reads) -> function returning the next version's dict.
UPCASTERS: Mapping[tuple[str, int], Upcaster] = {}


def upcast(
    data: JsonDict,
    event_type: str,
    version: int,
    target: int,
    upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
) -> JsonDict:
    """Carry `data` from `version` to `target`, one registered step at a time."""
    while version < target:
        step = upcasters.get((event_type, version))
        if step is None:
            raise LookupError(f"no upcaster for {event_type} v{version}")
        data = step(data)
        version += 1
        data["version"] = version
    return data
