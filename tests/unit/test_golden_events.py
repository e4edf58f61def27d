"""Published events never silently change: every type and version keeps a golden file.

`tests/golden/<type>/v<N>.json` is a version-N event as a client or the log holds it; it must
decode forever. `v<N>.canonical.json` pins the exact bytes it encodes to today, and
`derived_event_ids.json` the id derived from them, so a change to the codec, a field or the id
rule shows up here. Adding version N+1 with an upcaster legitimately changes the older files'
canonical bytes (they now decode to N+1): review the diff and update them deliberately.
"""

import re
from pathlib import Path

import orjson
import pytest

from schema.codec import decode_event, encode_event
from schema.events import EVENT_TYPES, current_version
from schema.ids import derive_event_id

GOLDEN = Path(__file__).parent.parent / "golden"
PINNED_IDS = GOLDEN / "derived_event_ids.json"
_GOLDEN_NAME = re.compile(r"v(?P<version>[1-9][0-9]*)(?P<canonical>\.canonical)?\.json")

EXPECTED = [
    (event_type, version)
    for event_type, cls in sorted(EVENT_TYPES.items())
    for version in range(1, current_version(cls) + 1)
]
GOLDEN_FILES = sorted(GOLDEN.glob("*/v*.json"))
EVENT_FILES = [path for path in GOLDEN_FILES if not path.name.endswith(".canonical.json")]


def _golden_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _canonical(path: Path) -> bytes:
    return encode_event(decode_event(orjson.loads(path.read_bytes())))


@pytest.mark.parametrize(("event_type", "version"), EXPECTED)
def test_every_type_and_version_has_a_golden_event(event_type: str, version: int) -> None:
    for name in (f"v{version}.json", f"v{version}.canonical.json"):
        assert (GOLDEN / event_type / name).is_file(), f"missing tests/golden/{event_type}/{name}"


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=_golden_id)
def test_golden_file_names_a_known_type_and_version(path: Path) -> None:
    match = _GOLDEN_NAME.fullmatch(path.name)
    assert match, f"{_golden_id(path)}: golden files are named v<N>.json / v<N>.canonical.json"
    assert (path.parent.name, int(match["version"])) in EXPECTED


@pytest.mark.parametrize("path", EVENT_FILES, ids=_golden_id)
def test_golden_event_states_the_type_and_version_of_its_path(path: Path) -> None:
    data = orjson.loads(path.read_bytes())
    assert (data["type"], f"v{data['version']}.json") == (path.parent.name, path.name)


@pytest.mark.parametrize("path", EVENT_FILES, ids=_golden_id)
def test_golden_event_decodes_to_the_current_class_of_its_type(path: Path) -> None:
    event = decode_event(orjson.loads(path.read_bytes()))

    assert type(event) is EVENT_TYPES[path.parent.name]


@pytest.mark.parametrize("path", EVENT_FILES, ids=_golden_id)
def test_golden_event_encodes_to_its_pinned_canonical_bytes(path: Path) -> None:
    pinned = path.with_name(path.name.replace(".json", ".canonical.json"))
    actual = _canonical(path)

    assert pinned.read_bytes() == actual + b"\n", (
        f"{_golden_id(path)} no longer encodes to {_golden_id(pinned)}. A published event "
        f"changed shape; if that is intended (a new version and its upcaster), write this "
        f"line to the file:\n{actual.decode()}"
    )


@pytest.mark.parametrize("path", EVENT_FILES, ids=_golden_id)
def test_pinned_canonical_bytes_decode_to_the_golden_event(path: Path) -> None:
    pinned = path.with_name(path.name.replace(".json", ".canonical.json"))

    assert decode_event(orjson.loads(pinned.read_bytes())) == decode_event(
        orjson.loads(path.read_bytes())
    )


def test_derived_event_ids_of_golden_events_are_pinned() -> None:
    actual = {
        _golden_id(path): derive_event_id(
            _canonical(path), decode_event(orjson.loads(path.read_bytes())).occurred_utc
        )
        for path in EVENT_FILES
    }

    assert orjson.loads(PINNED_IDS.read_bytes()) == actual, (
        "derived event ids changed: a client re-sending an event already in the log would "
        "append it again. If intended, write to tests/golden/derived_event_ids.json:\n"
        + orjson.dumps(actual, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    )
