"""The event catalogue (docs/events.md), rendered from the schema so it cannot drift from it.

`render_catalogue()` walks `EVENT_CLASSES`, the enums and the docstrings of the modules that
define the rules (codec, ids, timestamps, upcasters). Each type's example is built from its
fields with fixed ES-futures sample values and passed through the codec, so it is always a
valid canonical payload. `python -m schema.catalogue > docs/events.md` regenerates the file;
tests/unit/test_event_catalogue.py fails when the committed copy is stale.
"""

import inspect
import sys
import types
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Union, get_args, get_origin, get_type_hints

import annotated_types
import orjson
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import schema.codec
import schema.enums
import schema.events.base
import schema.ids
import schema.upcasters
from schema.codec import decode_event, encode_event
from schema.events import EVENT_CLASSES, Event, current_version, wire_type
from schema.events.base import (
    EARLIEST,
    LATEST,
    Finite,
    Identifier,
    JsonDocument,
    JsonObject,
    OptionalUtcDatetime,
    SymbolList,
    Text,
    UtcDatetime,
)
from schema.upcasters import UPCASTERS

REGENERATE = ".venv/bin/python -m schema.catalogue > docs/events.md"
# Every enum schema.enums defines, in the order it defines them.
ENUMS: tuple[type[StrEnum], ...] = tuple(
    value
    for value in vars(schema.enums).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value.__module__ == "schema.enums"
)

_ID, _TEXT = get_args(Identifier)[1], get_args(Text)[1]
# Field type alias -> (catalogue label, meaning, fallback example value).
_SHAPES: tuple[tuple[object, str, str, object], ...] = (
    (
        Identifier,
        "identifier",
        f"string of {_ID.min_length}..{_ID.max_length} characters, surrounding whitespace trimmed",
        "ID-1",
    ),
    (Text, "text", f"string of at most {_TEXT.max_length:,} characters", "text"),
    (Finite, "number", "finite JSON number (NaN and infinities refused)", 1.0),
    (UtcDatetime, "UTC time", "timestamp, see [Timestamps](#timestamps)", "2025-03-03T14:30:00Z"),
    (
        OptionalUtcDatetime,
        "UTC time or unset",
        "as UTC time; .NET `DateTime.MinValue` (`0001-01-01T00:00:00…`) reads as null",
        "2025-03-03T14:30:00Z",
    ),
    (JsonObject, "JSON object", "an object, or a string holding one", {}),
    (JsonDocument, "JSON document", "an object or an array, or a string holding one", []),
    (SymbolList, "identifier list", "array of identifiers, or a string holding one", ["ESM5"]),
)

# Example values by field name (ES futures, the session of the exporter samples);
# `_TYPE_SAMPLES` overrides them for one type. Fields not named here use their default,
# then their type's fallback.
# fmt: off
_SAMPLES: Mapping[str, object] = {
    # catalog
    "strategy_id": "StackedImbalance", "name": "Stacked Imbalance", "strategy_version": "1.4.0",
    "vendor": "Acme Quant", "source_ref": "git@example.com:acme/strategies.git#9f2c1e7",
    "notes": "Fades three stacked bid/ask imbalances on the 1-minute footprint.",
    "instance_id": "654EAF46109D0847CC9F7F01D7E47C43", "instance_name": "StackedImbalance_SIM-101",
    "parameters_json": {"ImbalanceRatio": 3.0, "StackedLevels": 3, "StopTicks": 8},
    "symbol": "ESM5", "symbols_json": ["ESM5"], "timeframe": "1 - Minute",
    "account_id": "SIM-101", "venue": "CME", "provider": "Quantower",
    "multiplier": 50.0, "tick_size": 0.25, "currency": "USD", "asset_class": "FUTURE",
    # runs
    "run_id": "5b1f2c9e-8a1d-4c55-9a39-0d6f3e2b7a10", "run_type": "LIVE",
    "start_utc": "2025-03-03T14:29:00Z", "end_utc": "2025-03-03T14:32:00Z",
    "engine_version": "0.1.0", "data_source": "Quantower", "reason": "stopped by user",
    "data_range": {"from": "2025-03-03T14:29:00Z", "to": "2025-03-03T21:00:00Z"},
    "initial_balance": 100000.0, "base_currency": "USD", "periods_per_year": 252.0,
    "metrics_json": {"net_pnl": 407.5, "trades": 1},
    "extra_json": {"comment": "acceptance session"},
    # orders, fills, OCO
    "order_id": "1002", "parent_order_id": "1001", "execution_id": "T-3",
    "side": "SELL", "order_type": "LIMIT", "time_in_force": "GTC", "client_tag": "TP",
    "quantity": 2.0, "price": 5706.0, "stop_price": 5697.75, "position_impact": "CLOSE",
    "reject_reason": "Insufficient margin", "cancel_reason": "OCO sibling filled",
    "submit_utc": "2025-03-03T14:31:30Z", "update_utc": "2025-03-03T14:31:42.123456Z",
    "exec_utc": "2025-03-03T14:31:42.123456Z", "fee": 2.5, "fee_currency": "USD",
    "liquidity": "MAKER", "oco_group_id": "BRK-1001", "role": "TP",
    "created_utc": "2025-03-03T14:30:05.5Z", "linked_utc": "2025-03-03T14:30:05.5Z",
    # bars
    "ts_utc": "2025-03-03T14:31:00Z", "open": 5701.75, "high": 5706.0, "low": 5701.0,
    "close": 5705.5, "volume": 900.0, "open_interest": 2150000.0,
    "volumetric_json": {"levels": [{"ask": 12, "bid": 35, "price": 5706.0}], "poc": 5704.25},
}
# fmt: on
_TYPE_SAMPLES: Mapping[tuple[str, str], object] = {
    ("order.updated", "status"): "FILLED",
    ("oco.group_created", "kind"): "BRACKET",
}


def render_catalogue() -> str:
    """The whole catalogue as markdown."""
    return "\n".join(_document()).rstrip("\n") + "\n"


def _document() -> Iterator[str]:
    yield "# Event catalogue"
    yield ""
    yield "<!-- Generated from schema/ by `python -m schema.catalogue`; do not edit. -->"
    yield f"Generated from `schema/`; regenerate with `{REGENERATE}`."
    yield "A test fails when this file and the schema disagree."
    yield ""
    yield "| type | version | class | time field | run-scoped |"
    yield "|---|---|---|---|---|"
    for cls in EVENT_CLASSES:
        name = wire_type(cls)
        yield (
            f"| [`{name}`](#{_anchor(name)}) | {current_version(cls)} | `{cls.__name__}` "
            f"| {_time_field(cls)} | {_run_scope(cls)} |"
        )
    yield ""
    yield from _section("Envelope and event ids", _envelope())
    yield from _section("Canonical encoding", _canonical())
    yield from _section("Timestamps", _timestamps())
    yield from _section("Field types", _field_types())
    yield from _section("Versions and upcasters", _versions())
    yield from _section("Enumerations", _enums())
    yield "## Event types"
    yield ""
    for cls in EVENT_CLASSES:
        yield from _event(cls)


def _section(title: str, lines: Iterator[str] | list[str]) -> Iterator[str]:
    yield f"## {title}"
    yield ""
    yield from lines
    yield ""


def _envelope() -> Iterator[str]:
    yield (
        "An event is one JSON object: `type` (the dotted wire name, required), `version` "
        "(optional; absent means the current version) and the type's fields. Unknown fields "
        "are refused; a field left out and a field sent as `null` mean the same."
    )
    yield ""
    yield (
        "`event_id` is not a field of any event (`decode_event` refuses it): clients put it "
        "beside the fields and ingest takes it out before decoding; the log row keeps it. It "
        "is the client's id when the client sends one; otherwise "
        "`derive_event_id(encode_event(event), event.occurred_utc)`, where `occurred_utc` is "
        "the value of the type's time field (listed per type below)."
    )
    yield ""
    yield _doc(schema.ids)


def _canonical() -> Iterator[str]:
    yield _doc(schema.codec)
    yield ""
    yield (
        "Keys are sorted at every depth, inside `*_json` values too, so the key order a client "
        "sends never changes the bytes or the derived id; the order of array items is kept."
    )


def _timestamps() -> Iterator[str]:
    yield _doc(schema.events.base)
    yield ""
    yield f"- Accepted range: {_iso(EARLIEST)} (inclusive) to {_iso(LATEST)} (exclusive)."
    yield "- Precision: microseconds; further fractional digits (.NET sends 7) are truncated."
    yield "- A required time field refuses `DateTime.MinValue` (it is outside the range)."
    yield (
        "- Written back as ISO 8601 with `Z`: `2025-03-03T14:30:05Z`, "
        "`2025-03-03T14:30:05.500000Z` (six digits whenever there is a fraction)."
    )


def _field_types() -> Iterator[str]:
    yield "| type | meaning |"
    yield "|---|---|"
    for _alias, label, meaning, _sample in _SHAPES:
        yield f"| {label} | {meaning} |"
    yield "| enum name | one of the enum's values, see [Enumerations](#enumerations) |"
    yield ""
    yield (
        "JSON values inside JSON objects and documents may not hold NaN, infinities or "
        "integers outside the 64-bit range: the canonical encoding could not keep them."
    )


def _versions() -> Iterator[str]:
    yield _doc(schema.upcasters)
    yield ""
    yield (
        "Upcasters are registered in `schema.upcasters.UPCASTERS`. Each type and version has "
        "a golden file, `tests/golden/<type>/v<version>.json`, that must decode forever, with "
        "the canonical bytes it decodes and encodes to beside it (`v<version>.canonical.json`)."
    )
    yield ""
    if not UPCASTERS:
        yield "Registered upcasters: none."
        return
    yield "| type | from | to | upcaster |"
    yield "|---|---|---|---|"
    for (event_type, version), step in sorted(UPCASTERS.items()):
        yield f"| `{event_type}` | {version} | {version + 1} | `{step.__qualname__}` |"


def _enums() -> Iterator[str]:
    yield _doc(schema.enums)
    yield ""
    for enum in ENUMS:
        yield f"### {enum.__name__}"
        yield ""
        if enum.__doc__ and enum.__doc__ != StrEnum.__doc__:
            yield inspect.cleandoc(enum.__doc__)
            yield ""
        yield ", ".join(f"`{member.value}`" for member in enum)
        yield ""


def _event(cls: type[Event]) -> Iterator[str]:
    name = wire_type(cls)
    yield f"### {name}"
    yield ""
    yield inspect.cleandoc(cls.__doc__ or "")
    yield ""
    yield f"- Version: {current_version(cls)}"
    yield f"- Class: `{cls.__module__}.{cls.__name__}`"
    yield f"- Time field: {_time_field(cls)}"
    yield f"- Run-scoped: {_run_scope(cls)}"
    yield ""
    yield "| field | type | required | default | description |"
    yield "|---|---|---|---|---|"
    declared = field_types(cls)
    # `type` and `version` first, though inherited fields come first in the class.
    fields = sorted(cls.model_fields.items(), key=lambda item: item[0] not in _HEADER_FIELDS)
    for field_name, field in fields:
        yield (
            f"| `{field_name}` | {_type_label(declared[field_name], field)} "
            f"| {_required(field_name, field)} | {_default(field_name, field)} "
            f"| {_cell(field.description or '')} |"
        )
    yield ""
    yield "Example (canonical form):"
    yield ""
    yield "```json"
    yield orjson.dumps(orjson.loads(encode_event(_example(cls))), option=_PRETTY).decode()
    yield "```"
    yield ""


_HEADER_FIELDS = ("type", "version")
_PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def _example(cls: type[Event]) -> Event:
    """Every field filled in, validated through the codec like any client's event."""
    name = wire_type(cls)
    declared = field_types(cls)
    values: dict[str, object] = {}
    for field_name, field in cls.model_fields.items():
        if (name, field_name) in _TYPE_SAMPLES:
            values[field_name] = _TYPE_SAMPLES[(name, field_name)]
        elif field_name in _SAMPLES:
            values[field_name] = _SAMPLES[field_name]
        elif field.default not in (None, PydanticUndefined):
            values[field_name] = field.default
        else:
            values[field_name] = _fallback_sample(declared[field_name])
    return decode_event(values)


def field_types(cls: type[Event]) -> dict[str, object]:
    """Each field's declared type without `| None`: one of the field type aliases of
    `schema.events.base`, an enum class, or a `Literal` (`type`, `version`).

    Raises TypeError for anything else, so no field goes undocumented (or untested: the
    property strategies build on this too).
    """
    hints = get_type_hints(cls, include_extras=True)
    return {name: _declared(hints[name]) for name in cls.model_fields}


def _declared(hint: object) -> object:
    if get_origin(hint) in (Union, types.UnionType):
        rest = [arg for arg in get_args(hint) if arg is not type(None)]
        hint = rest[0] if len(rest) == 1 else hint
    if get_origin(hint) is Literal or any(hint == shape[0] for shape in _SHAPES):
        return hint
    base = get_args(hint)[0] if get_origin(hint) is Annotated else hint
    if isinstance(base, type) and issubclass(base, StrEnum):
        return base
    raise TypeError(f"no catalogue entry for field type {hint!r}; add one to schema/catalogue.py")


def _type_label(declared: object, field: FieldInfo) -> str:
    if get_origin(declared) is Literal:
        return " or ".join(f"`{orjson.dumps(value).decode()}`" for value in get_args(declared))
    if isinstance(declared, type):
        label = f"[{declared.__name__}](#{declared.__name__.lower()})"
    else:
        label = next(shape[1] for shape in _SHAPES if shape[0] == declared)
    for constraint in field.metadata:
        if bound := _BOUNDS.get(type(constraint)):
            sign, attribute = bound
            label += f" {sign} {getattr(constraint, attribute)}"
    return label


_BOUNDS: Mapping[type, tuple[str, str]] = {
    annotated_types.Gt: (">", "gt"),
    annotated_types.Ge: ("≥", "ge"),
    annotated_types.Lt: ("<", "lt"),
    annotated_types.Le: ("≤", "le"),
}


def _fallback_sample(declared: object) -> object:
    if isinstance(declared, type) and issubclass(declared, StrEnum):
        return next(iter(declared)).value
    return next(shape[3] for shape in _SHAPES if shape[0] == declared)


def _required(name: str, field: FieldInfo) -> str:
    return "yes" if name == "type" or field.is_required() else "no"


def _default(name: str, field: FieldInfo) -> str:
    if name == "type" or field.is_required():
        return ""
    if name == "version":
        return "the current version"
    return f"`{orjson.dumps(field.default).decode()}`"


def _time_field(cls: type[Event]) -> str:
    return f"`{cls.time_field}`" if cls.time_field else "none (derived ids use time 0)"


def _run_scope(cls: type[Event]) -> str:
    field = cls.model_fields.get("run_id")
    if field is None:
        return "no"
    return "yes" if field.is_required() else "when `run_id` is set"


def _doc(module: types.ModuleType) -> str:
    """A module's docstring without its summary line: the rules it states."""
    return inspect.cleandoc(module.__doc__ or "").partition("\n\n")[2]


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped."""
    return "".join(c for c in heading.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    sys.stdout.buffer.write(render_catalogue().encode())
