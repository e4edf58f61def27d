"""Splitting a body into raw items, and bounded decompression (ingest_api.body)."""

import gzip
import zlib

import orjson
import pytest

from ingest_api.body import Inflater, RawItem, json_text, split_items
from ingest_api.errors import MalformedBody, PayloadTooLarge


def test_a_json_array_gives_one_item_per_element_with_its_text() -> None:
    items = split_items(b' [{"a": 1}, 2, "x"] ', "application/json", 10)

    assert items == [RawItem('{"a":1}', {"a": 1}), RawItem("2", 2), RawItem('"x"', "x")]


def test_a_single_value_is_one_item_keeping_its_text() -> None:
    assert split_items(b'{"a": 1}\n', None, 10) == [RawItem('{"a": 1}', {"a": 1})]


@pytest.mark.parametrize("content_type", ["application/x-ndjson; charset=utf-8", None])
def test_ndjson_lines_are_items_and_a_bad_line_keeps_its_text(content_type: str | None) -> None:
    body = b'{"a": 1}\r\n\n{"a": \xff}\n{"b": 2}'

    items = split_items(body, content_type, 10)

    assert [item.value for item in items] == [{"a": 1}, None, {"b": 2}]
    assert items[1].raw == '{"a": \\xff}'
    assert items[1].error is not None


def test_a_single_line_that_is_not_json_is_malformed() -> None:
    with pytest.raises(MalformedBody):
        split_items(b'{"a": ', None, 10)


def test_an_array_that_does_not_parse_is_malformed_even_over_several_lines() -> None:
    with pytest.raises(MalformedBody):
        split_items(b'[{"a": 1},\n{"b": ]', None, 10)


@pytest.mark.parametrize("body", [b"", b" \n "])
def test_an_empty_body_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        split_items(body, None, 10)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"[1,2,3]", None), (b"1\n2\n3\n", "application/x-ndjson")],
)
def test_more_items_than_the_limit_is_too_large(body: bytes, content_type: str | None) -> None:
    with pytest.raises(PayloadTooLarge):
        split_items(body, content_type, 2)


def test_text_of_a_value_nested_deeper_than_orjson_writes_is_still_exact() -> None:
    deep = orjson.loads(b'{"k": ' + b"[" * 600 + b'{"x": "\\u0000"}' + b"]" * 600 + b"}")

    assert orjson.loads(json_text(deep)) == deep


def test_gzip_inflates_across_chunks_and_members() -> None:
    body = gzip.compress(b"hello ") + gzip.compress(b"world")
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=100)

    for i in range(0, len(body), 7):
        inflater.feed(body[i : i + 7])

    assert inflater.finish() == b"hello world"


def test_inflating_stops_at_the_limit() -> None:
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=1000)

    with pytest.raises(PayloadTooLarge):
        inflater.feed(gzip.compress(b"0" * 10_000_000))


def test_output_exactly_at_the_limit_is_accepted() -> None:
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=1000)
    inflater.feed(gzip.compress(b"0" * 1000))

    assert len(inflater.finish()) == 1000


def test_a_stream_that_is_not_gzip_is_malformed() -> None:
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=1000)

    with pytest.raises(MalformedBody):
        inflater.feed(b"plain text")


@pytest.mark.parametrize("body", [b"", gzip.compress(b"abc")[:-4]], ids=["empty", "truncated"])
def test_a_stream_that_ends_early_is_malformed(body: bytes) -> None:
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=1000)
    inflater.feed(body)

    with pytest.raises(MalformedBody):
        inflater.finish()
