"""Splitting a body into raw items, and bounded decompression (ingest_api.body)."""

import gzip
import zlib

import orjson
import pytest

from ingest_api.body import (
    KEPT_OF_LARGE_ITEM,
    Inflater,
    ItemLimits,
    RawItem,
    item_of,
    json_text,
    nests_deeper,
    split_items,
)
from ingest_api.errors import MalformedBody, PayloadTooLarge

LIMITS = ItemLimits(max_bytes=2000, max_depth=4)


def test_a_json_array_gives_one_item_per_element_with_its_text() -> None:
    items = split_items(b' [{"a": 1}, 2, "x"] ', "application/json", 10, LIMITS)

    assert items == [RawItem('{"a":1}', {"a": 1}), RawItem("2", 2), RawItem('"x"', "x")]


def test_a_single_value_is_one_item_keeping_its_text() -> None:
    assert split_items(b'{"a": 1}\n', None, 10, LIMITS) == [RawItem('{"a": 1}', {"a": 1})]


@pytest.mark.parametrize("content_type", ["application/x-ndjson; charset=utf-8", None])
def test_ndjson_lines_are_items_and_a_bad_line_keeps_its_text(content_type: str | None) -> None:
    body = b'{"a": 1}\r\n\n{"a": \xff}\n{"b": 2}'

    items = split_items(body, content_type, 10, LIMITS)

    assert [item.value for item in items] == [{"a": 1}, None, {"b": 2}]
    assert items[1].raw == '{"a": \\xff}'
    assert items[1].error is not None


def test_a_single_line_that_is_not_json_is_malformed() -> None:
    with pytest.raises(MalformedBody):
        split_items(b'{"a": ', None, 10, LIMITS)


def test_an_array_that_does_not_parse_is_malformed_even_over_several_lines() -> None:
    with pytest.raises(MalformedBody):
        split_items(b'[{"a": 1},\n{"b": ]', None, 10, LIMITS)


@pytest.mark.parametrize("body", [b"", b" \n "])
def test_an_empty_body_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        split_items(body, None, 10, LIMITS)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"[1,2,3]", None), (b"1\n2\n3\n", "application/x-ndjson")],
)
def test_more_items_than_the_limit_is_too_large(body: bytes, content_type: str | None) -> None:
    with pytest.raises(PayloadTooLarge):
        split_items(body, content_type, 2, LIMITS)


def test_text_of_a_value_nested_deeper_than_orjson_writes_is_still_exact() -> None:
    deep = orjson.loads(b'{"k": ' + b"[" * 600 + b'{"x": "\\u0000"}' + b"]" * 600 + b"}")

    assert orjson.loads(json_text(deep)) == deep


def nested(depth: int) -> object:
    """An object whose arrays and objects nest `depth` levels (itself included)."""
    value: object = {}
    for level in range(depth - 1):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_an_item_nesting_up_to_the_depth_limit_is_an_item(depth: int) -> None:
    item = item_of(nested(depth), LIMITS)

    assert item.error is None
    assert item.value == nested(depth)


@pytest.mark.parametrize("depth", [5, 300])
def test_an_item_nesting_deeper_than_the_limit_carries_an_error_and_its_whole_text(
    depth: int,
) -> None:
    item = item_of(nested(depth), LIMITS)

    assert item.error == "item nests deeper than 4 levels of arrays and objects"
    assert orjson.loads(item.raw) == nested(depth)


def test_brackets_inside_strings_do_not_make_an_item_too_deep() -> None:
    value = {"parameters_json": "[[[[[[{{{{{{}}}}}}]]]]]]", "k": [{"a": []}]}

    assert item_of(value, LIMITS).error is None


@pytest.mark.parametrize(
    ("value", "deeper_than_2"),
    [
        ("text", False),
        ([], False),
        ([[]], False),
        ([[[]]], True),
        ({"a": 1, "b": {"c": "[[[[[["}}, False),
        ([1, {"a": [2]}, "x"], True),
        ({"a": [], "b": {"c": {}}}, True),
    ],
)
def test_nesting_counts_arrays_and_objects_only(value: object, deeper_than_2: bool) -> None:
    assert nests_deeper(value, 2) is deeper_than_2


def test_an_item_over_the_size_limit_keeps_only_its_first_kib_and_its_fields() -> None:
    value = {"type": "run.heartbeat", "run_id": "r-1", "note": "é" * 5000}

    item = item_of(value, LIMITS)

    text = orjson.dumps(value)
    assert item.error is not None
    assert f"is {len(text):,} bytes of JSON; the limit is 2,000" in item.error
    assert item.raw == text[: KEPT_OF_LARGE_ITEM - 1].decode()  # not half of a 2-byte é
    assert item.value == value  # its event type and run stay readable for the quarantine


def test_an_item_exactly_at_the_size_limit_is_an_item() -> None:
    value = {"k": "x" * (2000 - len('{"k":""}'))}

    assert len(orjson.dumps(value)) == 2000
    assert item_of(value, LIMITS).error is None


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_items_over_the_limits_are_refused_one_by_one_in_arrays_and_ndjson(
    content_type: str,
) -> None:
    values = [{"a": 1}, {"big": "x" * 3000}, nested(6), {"b": 2}]
    if content_type == "application/json":
        body = orjson.dumps(values)
    else:
        body = b"\n".join(orjson.dumps(value) for value in values)

    items = split_items(body, content_type, 10, LIMITS)

    assert [item.error is None for item in items] == [True, False, False, True]
    assert len(items[1].raw) == KEPT_OF_LARGE_ITEM
    assert "deeper" in (items[2].error or "")


def test_an_ndjson_line_over_the_size_limit_is_refused_without_being_parsed() -> None:
    line = b'{"a": "' + b"\x00\xff" * 2000

    [item] = split_items(line, "application/x-ndjson", 10, LIMITS)

    assert item.value is None
    assert "bytes of JSON" in (item.error or "")
    assert "\x00" not in item.raw  # PostgreSQL text cannot hold NUL


def test_a_single_value_body_over_the_size_limit_is_a_refused_item() -> None:
    [item] = split_items(orjson.dumps({"k": "x" * 3000}), None, 10, LIMITS)

    assert item.error is not None


def test_without_item_limits_a_large_deep_item_is_an_item() -> None:
    items = split_items(orjson.dumps([nested(40), {"k": "x" * 3000}]), None, 10, None)

    assert [item.error for item in items] == [None, None]


def test_gzip_inflates_across_chunks_and_members() -> None:
    body = gzip.compress(b"hello ") + gzip.compress(b"world")
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=100)

    for i in range(0, len(body), 7):
        inflater.feed(body[i : i + 7])

    assert inflater.finish() == b"hello world"


@pytest.mark.parametrize("step", [1, 100, 1 << 20], ids=["byte", "small", "whole"])
def test_a_body_inflating_to_many_mib_per_chunk_comes_out_whole(step: int) -> None:
    body = b"[" + b" " * (5 * 1024 * 1024) + b"]"  # ~1,000:1: a few KiB in, MiBs out
    compressed = gzip.compress(body)
    inflater = Inflater(16 + zlib.MAX_WBITS, limit=len(body))

    for i in range(0, len(compressed), step):
        inflater.feed(compressed[i : i + step])

    assert inflater.finish() == body


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
