"""Derived ids: a pure function of canonical content and time, time-ordered across
milliseconds; instance ids independent of parameter key order and symbol order."""

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from schema.codec import decode_stored, encode_event
from schema.events import Event
from schema.ids import derive_event_id, derive_instance_id
from tests.property.strategies import (
    events,
    identifiers,
    json_objects,
    reordered,
    utc_datetimes,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def _derived(event: Event) -> str:
    return derive_event_id(encode_event(event), event.occurred_utc)


@given(event=events)
def test_equal_events_derive_equal_ids(event: Event) -> None:
    copy = decode_stored(encode_event(event))

    assert copy is not event
    assert _derived(copy) == _derived(event)


@given(content=st.binary(max_size=200), occurred=utc_datetimes)
def test_derived_id_carries_the_exact_millisecond(content: bytes, occurred: datetime) -> None:
    assert uuid.UUID(derive_event_id(content, occurred)).int >> 80 == (occurred - EPOCH) // ONE_MS


@given(
    first=st.binary(max_size=200),
    second=st.binary(max_size=200),
    earlier=utc_datetimes,
    later=utc_datetimes,
)
def test_ids_of_later_milliseconds_sort_after_earlier_ones(
    first: bytes, second: bytes, earlier: datetime, later: datetime
) -> None:
    assume((earlier - EPOCH) // ONE_MS < (later - EPOCH) // ONE_MS)

    assert derive_event_id(first, earlier) < derive_event_id(second, later)


@given(
    strategy_id=identifiers,
    parameters=json_objects,
    symbols=st.lists(identifiers, max_size=5),
    timeframe=st.none() | identifiers,
    data=st.data(),
)
def test_instance_id_ignores_parameter_key_order_and_symbol_order(
    strategy_id: str,
    parameters: dict[str, object],
    symbols: list[str],
    timeframe: str | None,
    data: st.DataObject,
) -> None:
    shuffled_parameters = data.draw(reordered(parameters))
    shuffled_symbols = data.draw(st.permutations(symbols))

    assert derive_instance_id(
        strategy_id, shuffled_parameters, shuffled_symbols, timeframe, "SIM-101", None
    ) == derive_instance_id(strategy_id, parameters, symbols, timeframe, "SIM-101", None)
