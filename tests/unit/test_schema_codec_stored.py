"""`decode_stored` rebuilds a logged event without validating it again, into exactly the event
`decode_event` gives, and hands anything that is not a canonical event of a known type and
version to `decode_event`, which says what is wrong."""

from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from pydantic import ValidationError

from schema import codec
from schema.codec import UnknownEventType, decode_event, decode_stored, encode_event
from schema.upcasters import UPCASTERS

GOLDEN = Path(__file__).parent.parent / "golden"
CANONICAL = sorted(GOLDEN.glob("*/v*.canonical.json"))


def _state(event: Any) -> tuple[str, str, set[str]]:
    """Everything a model holds, types included (repr tells 1 from 1.0, UTC from +00:00)."""
    return type(event).__name__, repr(event.__dict__), event.model_fields_set


@pytest.mark.parametrize("path", CANONICAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_canonical_payload_decodes_to_the_event_validation_gives(path: Path) -> None:
    payload = path.read_bytes().strip()

    stored = decode_stored(payload)

    assert _state(stored) == _state(decode_event(orjson.loads(payload)))
    assert encode_event(stored) == payload


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d.pop("run_id"), ValidationError),  # a required field missing
        (lambda d: d.update(side_hint="x"), ValidationError),  # an unknown field
        (lambda d: d.update(version=99), UnknownEventType),  # a version from the future
        (lambda d: d.update(type="bar.opened"), UnknownEventType),
    ],
)
def test_a_payload_not_shaped_like_its_type_is_validated_and_refused(
    change: Any, error: type[Exception]
) -> None:
    data = orjson.loads((GOLDEN / "execution.recorded" / "v1.canonical.json").read_bytes())
    change(data)

    with pytest.raises(error):
        decode_stored(orjson.dumps(data))


def test_a_payload_that_is_not_an_object_is_refused_by_name() -> None:
    with pytest.raises(UnknownEventType, match="JSON object"):
        decode_stored(b"[1, 2]")


def test_an_older_version_is_upcast_then_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded: list[int] = []

    def to_v2(data: dict[str, Any]) -> dict[str, Any]:
        upgraded.append(data["version"])
        return data

    # As if run.heartbeat had a version 2: a v1 payload is not rebuilt but upcast, validated.
    monkeypatch.setitem(codec._CURRENT_VERSIONS, "run.heartbeat", 2)
    monkeypatch.delitem(codec._STORED, ("run.heartbeat", 1))
    monkeypatch.setitem(cast(dict[Any, Any], UPCASTERS), ("run.heartbeat", 1), to_v2)
    payload = b'{"run_id":"R","ts_utc":"2025-03-03T14:31:00Z","type":"run.heartbeat","version":1}'

    with pytest.raises(ValidationError):  # the class still has only version 1 …
        decode_stored(payload)
    assert upgraded == [1]  # … but the payload went through the upcaster on its way there
