"""docs/events.md is the catalogue rendered from the schema, never a hand-edited copy."""

import difflib
import enum
from pathlib import Path

import schema.enums
from schema.catalogue import REGENERATE, render_catalogue
from schema.events import EVENT_TYPES

CATALOGUE = Path(__file__).parent.parent.parent / "docs" / "events.md"


def test_committed_catalogue_matches_the_schema() -> None:
    committed = CATALOGUE.read_text(encoding="utf-8") if CATALOGUE.is_file() else ""
    rendered = render_catalogue()

    diff = difflib.unified_diff(
        committed.splitlines(keepends=True),
        rendered.splitlines(keepends=True),
        "docs/events.md",
        "render_catalogue()",
        n=1,
    )
    assert committed == rendered, (
        f"docs/events.md is stale; regenerate it from the repository root with:\n"
        f"    {REGENERATE}\n\n{''.join(diff)[:3000]}"
    )


def test_catalogue_has_a_section_for_every_event_type_and_enum() -> None:
    enums = [
        name
        for name, value in vars(schema.enums).items()
        if isinstance(value, enum.EnumMeta) and value.__module__ == "schema.enums"
    ]
    rendered = render_catalogue()

    for name in [*EVENT_TYPES, *enums]:
        assert f"\n### {name}\n" in rendered
