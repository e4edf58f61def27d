"""The codec's laws, for every event type: encoding loses nothing and has one form per event.

`encode_event` dumps with orjson's OPT_SORT_KEYS, which sorts the keys of nested objects too,
so the key order of a client's `*_json` objects never reaches the canonical bytes (and so
never changes a derived id); the order of array items is kept, as it carries meaning.
"""

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schema.codec import decode_event, decode_stored, encode_event
from schema.events import EVENT_CLASSES, Event
from tests.property.strategies import EVENTS_BY_CLASS, reordered

by_class = pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)


@by_class
@given(data=st.data())
def test_decoding_the_encoding_gives_the_event_and_the_bytes_back(
    cls: type[Event], data: st.DataObject
) -> None:
    event = data.draw(EVENTS_BY_CLASS[cls])
    encoded = encode_event(event)
    decoded = decode_stored(encoded)

    assert decoded == event
    assert encode_event(decoded) == encoded


@by_class
@given(data=st.data())
def test_key_order_of_the_input_never_reaches_the_encoding(
    cls: type[Event], data: st.DataObject
) -> None:
    encoded = encode_event(data.draw(EVENTS_BY_CLASS[cls]))
    shuffled = data.draw(reordered(orjson.loads(encoded)))

    assert encode_event(decode_event(shuffled)) == encoded


@by_class
@given(data=st.data())
def test_json_fields_sent_as_text_give_the_same_event(
    cls: type[Event], data: st.DataObject
) -> None:
    event = data.draw(EVENTS_BY_CLASS[cls])
    as_text = {
        key: orjson.dumps(value).decode() if isinstance(value, dict | list) else value
        for key, value in orjson.loads(encode_event(event)).items()
    }

    assert decode_event(as_text) == event
