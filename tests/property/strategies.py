"""Hypothesis strategies for every event type, built from the event models' own fields.

Each field type of `schema.catalogue.field_types` (the aliases of `schema.events.base`, the
enums) maps to a strategy of valid values: finite floats, aware UTC datetimes in 1970..2200 at
microsecond precision, identifiers of 1..200 characters without surrounding whitespace or
control characters, JSON values for `*_json` fields. A new event type is covered as soon as
it is in `EVENT_CLASSES`; a field of a type this module does not know fails at import rather
than being skipped.
"""

import operator
import random
from datetime import UTC, timedelta
from enum import StrEnum
from functools import partial
from typing import Any, Literal, get_origin

import annotated_types
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from schema.catalogue import field_types
from schema.events import EVENT_CLASSES, Event
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

JSON_INT_MIN, JSON_INT_MAX = -(2**63), 2**64 - 1

# Any text but control characters (which Identifier refuses), stripped like the model does.
identifiers = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200)
    .map(str.strip)
    .filter(bool)
)
texts = st.text(max_size=60)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
utc_datetimes = st.datetimes(  # hypothesis takes naive bounds and adds the zone
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=(LATEST - timedelta(microseconds=1)).replace(tzinfo=None),
    timezones=st.just(UTC),
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(JSON_INT_MIN, JSON_INT_MAX)
    | finite_floats
    | st.text(max_size=20)
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)

_BY_TYPE: tuple[tuple[object, st.SearchStrategy[Any]], ...] = (
    (Identifier, identifiers),
    (Text, texts),
    (Finite, finite_floats),
    (UtcDatetime, utc_datetimes),
    (OptionalUtcDatetime, utc_datetimes),
    (JsonObject, json_objects),
    (JsonDocument, json_objects | st.lists(json_values, max_size=5)),
    (SymbolList, st.lists(identifiers, max_size=4)),
)


def event_strategy(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Valid events of one type: required fields always, optional ones present or not."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, declared in field_types(cls).items():
        if get_origin(declared) is Literal:  # type and version: the class's own
            continue
        field = cls.model_fields[name]
        values = _bounded(_for_type(declared), field)
        if field.is_required():
            required[name] = values
        else:
            optional[name] = values | st.none() if field.default is None else values
    return st.fixed_dictionaries(required, optional=optional).map(cls.model_validate)


def _for_type(declared: object) -> st.SearchStrategy[Any]:
    if isinstance(declared, type) and issubclass(declared, StrEnum):
        return st.sampled_from(declared)
    for field_type, values in _BY_TYPE:
        if field_type == declared:
            return values
    raise TypeError(f"no strategy for {declared!r}; add one to tests/property/strategies.py")


def _bounded(values: st.SearchStrategy[Any], field: FieldInfo) -> st.SearchStrategy[Any]:
    for constraint in field.metadata:
        if isinstance(constraint, annotated_types.Gt):
            values = values.filter(partial(operator.lt, constraint.gt))
    return values


def reordered(value: Any) -> st.SearchStrategy[Any]:
    """The same JSON value with the keys of every object, at every depth, in another order."""
    return st.randoms(use_true_random=False).map(partial(_shuffle_keys, value))


def _shuffle_keys(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {key: _shuffle_keys(value[key], rnd) for key in keys}
    if isinstance(value, list):
        return [_shuffle_keys(item, rnd) for item in value]
    return value


EVENTS_BY_CLASS = {cls: event_strategy(cls) for cls in EVENT_CLASSES}
events = st.one_of(*EVENTS_BY_CLASS.values())
