"""Projection versions: which code built a projection store, and whether this code may write it.

Each projection family has an integer version. Bump it whenever the same events would give
other rows than before (a new or changed column, a fixed formula): the rows already stored
were made by the old code, so the projector must not keep adding new-code rows to them.
Each generation records the versions it was built with (in its `projection_meta` and in the
control table). A projector that starts with newer versions than the live generation's
rebuilds a new generation in the background (projector/auto_rebuild.py) and swaps it in; one
with older versions (a process left over from before a deploy) writes nothing.
`TABLES_DIGEST` is the projection tables' shape when the versions were last reviewed: a test
fails when the tables change and it does not, to ask whether a version needs a bump.
"""

import hashlib
from collections.abc import Mapping
from enum import Enum

import orjson

from projector.store import ProjectionStore
from schema.tables.projections import PROJECTION_METADATA

Versions = Mapping[str, int]

PROJECTION_VERSIONS: Versions = {
    "catalog": 1,  # strategies, strategy_instances, instruments
    "runs": 1,  # strategy_runs
    "orders": 1,  # orders, order_history
    "executions": 1,
    "oco": 1,  # order_oco_groups, order_oco_links
    "bars": 1,  # run_series, bars
    "trades": 1,  # trades, trade_lot_matches, open_positions, trade_flags
    "metrics": 1,  # equity_points, run_metrics, instance_metrics, strategy_metrics
}
TABLES_DIGEST = "f0575c299b76009a"

VERSIONS_KEY = "projection_versions"  # projection_meta key
# What a store holding rows but no recorded versions was built with: the code before
# versions were recorded, version 1 of every family it had.
UNRECORDED: Versions = dict.fromkeys(PROJECTION_VERSIONS, 1)


class Compatibility(Enum):
    SAME = "same"
    CODE_NEWER = "code newer"  # rebuild with this code, then swap
    CODE_OLDER = "code older"  # this process is outdated: it must not write


def compare(stored: Versions, code: Versions) -> Compatibility:
    """How the code's versions stand against a store's (a family absent counts as 0)."""
    families = set(stored) | set(code)
    if all(stored.get(f, 0) == code.get(f, 0) for f in families):
        return Compatibility.SAME
    if any(code.get(f, 0) < stored.get(f, 0) for f in families):
        return Compatibility.CODE_OLDER
    return Compatibility.CODE_NEWER


def encode_versions(versions: Versions) -> str:
    return orjson.dumps(dict(versions), option=orjson.OPT_SORT_KEYS).decode()


def decode_versions(text: str) -> dict[str, int]:
    return {str(family): int(version) for family, version in orjson.loads(text).items()}


def tables_digest() -> str:
    """A digest of every projection table's name, columns, types, keys and nullability."""
    shape = [
        [
            table.name,
            [
                [c.name, repr(c.type), c.primary_key, c.nullable]
                for c in sorted(table.columns, key=lambda c: c.name)
            ],
        ]
        for table in sorted(PROJECTION_METADATA.tables.values(), key=lambda t: t.name)
    ]
    return hashlib.sha256(orjson.dumps(shape)).hexdigest()[:16]


async def stored_versions(store: ProjectionStore, code: Versions) -> dict[str, int]:
    """The versions `store` was built with. A store without any: a fresh one is about to be
    built by this code, whose versions are recorded now; one holding rows is `UNRECORDED`."""
    recorded = await store.get_meta(VERSIONS_KEY)
    if recorded is not None:
        return decode_versions(recorded)
    if await store.all_checkpoints():
        return dict(UNRECORDED)
    await record_versions(store, code)
    return dict(code)


async def record_versions(store: ProjectionStore, versions: Versions) -> None:
    async with store.transaction() as conn:
        await store.set_meta(conn, VERSIONS_KEY, encode_versions(versions))
