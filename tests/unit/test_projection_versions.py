"""Projection versions decide whether a projector may write a store, or must rebuild it."""

import pytest

from projector.versions import (
    PROJECTION_VERSIONS,
    TABLES_DIGEST,
    Compatibility,
    compare,
    decode_versions,
    encode_versions,
    tables_digest,
)


@pytest.mark.parametrize(
    ("stored", "code", "expected"),
    [
        ({"orders": 1, "bars": 1}, {"orders": 1, "bars": 1}, Compatibility.SAME),
        ({"orders": 1, "bars": 1}, {"orders": 1, "bars": 2}, Compatibility.CODE_NEWER),
        ({"orders": 1}, {"orders": 1, "bars": 1}, Compatibility.CODE_NEWER),  # a new family
        ({"orders": 2, "bars": 1}, {"orders": 1, "bars": 1}, Compatibility.CODE_OLDER),
        ({"orders": 2, "bars": 1}, {"orders": 1, "bars": 2}, Compatibility.CODE_OLDER),
        ({"orders": 1, "bars": 1}, {"orders": 1}, Compatibility.CODE_OLDER),  # a family gone
    ],
    ids=["same", "bumped", "added", "older", "mixed", "removed"],
)
def test_code_may_write_only_what_its_own_versions_built(
    stored: dict[str, int], code: dict[str, int], expected: Compatibility
) -> None:
    assert compare(stored, code) is expected


def test_versions_survive_their_stored_form() -> None:
    assert decode_versions(encode_versions(PROJECTION_VERSIONS)) == PROJECTION_VERSIONS


def test_a_change_to_the_projection_tables_asks_for_a_version_review() -> None:
    assert tables_digest() == TABLES_DIGEST, (
        "the projection tables changed: bump the version of every projection whose rows "
        "change in projector/versions.py (a projector then rebuilds the store by itself), "
        f"and set TABLES_DIGEST = {tables_digest()!r}"
    )
