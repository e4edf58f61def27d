"""Reading a request body: size limits, decompression, and splitting it into raw items.

The body is counted as it streams in, so a client without a Content-Length is held to the same
limit as one with it. gzip and deflate bodies are inflated with a bounded output size: a
decompression bomb stops at the limit with a 413 instead of filling memory. A body holds one
JSON value, a JSON array of items, or NDJSON (by Content-Type, or sniffed when a body that is
not one JSON value has several lines). Each item keeps its raw text for the quarantine.

An item over the item limits (its JSON text too long, or nesting too deep) is not refused with
the request: it becomes an item with an error, quarantined like any invalid item, and an item
too long keeps only its first KiB there. The checks cost a length and two byte counts per item;
only an item with more brackets than the depth limit is walked.
"""

import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request

from ingest_api.errors import MalformedBody, PayloadTooLarge, UnsupportedEncoding
from ingest_api.settings import IngestSettings

NDJSON_MEDIA_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
KEPT_OF_LARGE_ITEM = 1024  # bytes of an item over the size limit that the quarantine keeps
_INFLATE_STEP = 1024 * 1024  # output of one inflate call: no transient copy near the limit


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item as received: its text and its JSON value; `error` says why it cannot be an
    event whatever it holds (its text is not JSON, or it is over the item limits)."""

    raw: str
    value: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ItemLimits:
    """How large one item's JSON text may be (UTF-8 bytes: compact for an element of an array,
    as sent otherwise) and how deeply its arrays and objects may nest (the item is level 1)."""

    max_bytes: int
    max_depth: int


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """How much one request may carry."""

    max_body_bytes: int
    max_decompressed_bytes: int
    max_items: int
    item: ItemLimits

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> "BodyLimits":
        return cls(
            settings.max_body_bytes,
            settings.max_decompressed_bytes,
            settings.max_batch_items,
            ItemLimits(settings.max_item_bytes, settings.max_item_depth),
        )


class Inflater:
    """Incremental gzip/deflate decoding that never produces more than `limit` bytes."""

    def __init__(self, wbits: int, limit: int) -> None:
        self._wbits, self._limit = wbits, limit
        self._inflate = zlib.decompressobj(wbits)
        self._out = bytearray()
        self._fed = False

    def feed(self, data: bytes) -> None:
        self._fed = self._fed or bool(data)
        try:
            while True:
                if self._inflate.eof:
                    if not data:
                        return
                    self._inflate = zlib.decompressobj(self._wbits)  # the next gzip member
                room = min(self._limit - len(self._out) + 1, _INFLATE_STEP)
                out = self._inflate.decompress(data, room)
                self._out += out
                if len(self._out) > self._limit:
                    raise PayloadTooLarge(f"decompressed body exceeds {self._limit} bytes")
                ended = self._inflate.eof  # what follows is the next member, else more input
                data = self._inflate.unused_data if ended else self._inflate.unconsumed_tail
                if not data and len(out) < room:  # a full `room` may leave output pending
                    return
        except zlib.error as exc:
            raise MalformedBody(f"body cannot be decompressed: {exc}") from None

    def finish(self) -> bytes:
        if not (self._fed and self._inflate.eof):
            raise MalformedBody("compressed body is truncated")
        return bytes(self._out)


async def read_body(request: Request, limits: BodyLimits) -> bytes:
    """The request body, decompressed, within the limits (413 past them, 400 if corrupt)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise PayloadTooLarge(f"body exceeds {limits.max_body_bytes} bytes")
    encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
    if encoding not in _WBITS and encoding != "identity":
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r}: use gzip, deflate or none")
    inflater = (
        Inflater(_WBITS[encoding], limits.max_decompressed_bytes) if encoding in _WBITS else None
    )
    received, chunks = 0, []
    async for chunk in request.stream():
        received += len(chunk)
        if received > limits.max_body_bytes:
            raise PayloadTooLarge(f"body exceeds {limits.max_body_bytes} bytes")
        if inflater is None:
            chunks.append(chunk)
        else:
            inflater.feed(chunk)
    return inflater.finish() if inflater is not None else b"".join(chunks)


def parse_value(body: bytes) -> Any:
    """The body as one JSON value (400 if it is not JSON)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from None


def split_items(
    body: bytes, content_type: str | None, max_items: int, item_limits: ItemLimits | None
) -> list[RawItem]:
    """The items of a JSON array, a single JSON value, or NDJSON; with `item_limits`, those
    over them carry an error (None: a file import, which bounds its lines itself)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in NDJSON_MEDIA_TYPES:
        return _ndjson_items(body, max_items, item_limits)
    stripped = body.strip()
    if not stripped:
        raise MalformedBody("body is empty")
    try:
        value = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        if not stripped.startswith(b"[") and b"\n" in stripped:
            return _ndjson_items(body, max_items, item_limits)
        raise MalformedBody(f"body is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        return [_checked(stripped, value, item_limits)]
    check_item_count(len(value), max_items)
    return [_checked(_json_bytes(element), element, item_limits) for element in value]


def item_of(value: Any, limits: ItemLimits) -> RawItem:
    """An already parsed JSON value as an item; one over `limits` carries an error."""
    return _checked(_json_bytes(value), value, limits)


def check_item_count(count: int, max_items: int) -> None:
    if count > max_items:
        raise PayloadTooLarge(f"{count} items in one request; the limit is {max_items}")


def _ndjson_items(body: bytes, max_items: int, limits: ItemLimits | None) -> list[RawItem]:
    lines = [line.strip() for line in body.split(b"\n")]
    lines = [line for line in lines if line]
    check_item_count(len(lines), max_items)
    items = []
    for line in lines:
        if limits is not None and len(line) > limits.max_bytes:
            items.append(_too_large(line, None, limits))  # not even parsed
            continue
        try:
            items.append(_checked(line, orjson.loads(line), limits))
        except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
            items.append(RawItem(_as_text(line), error=f"line is not valid JSON: {exc}"))
    return items


def _checked(text: bytes, value: Any, limits: ItemLimits | None) -> RawItem:
    """The item of `value` (whose JSON text is `text`), or the item refused for its limits."""
    if limits is not None:
        if len(text) > limits.max_bytes:
            return _too_large(text, value, limits)
        # Depth never exceeds the number of brackets (those inside strings count too): a
        # count, at C speed, clears almost every item without walking it.
        brackets = text.count(b"{") + text.count(b"[")
        if brackets > limits.max_depth and nests_deeper(value, limits.max_depth):
            error = f"item nests deeper than {limits.max_depth} levels of arrays and objects"
            return RawItem(text.decode(), value, error)
    return RawItem(text.decode(), value)


def _too_large(text: bytes, value: Any, limits: ItemLimits) -> RawItem:
    error = (
        f"item is {len(text):,} bytes of JSON; the limit is {limits.max_bytes:,} "
        f"(its first {KEPT_OF_LARGE_ITEM:,} bytes are kept)"
    )
    cut = KEPT_OF_LARGE_ITEM
    while 0 < cut < len(text) and text[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
        cut -= 1
    return RawItem(_as_text(text[:cut]), value, error)


def _as_text(data: bytes) -> str:
    """Text of bytes that may not be UTF-8, escaped where they are not (and NUL, which
    PostgreSQL text cannot hold)."""
    return data.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def nests_deeper(value: Any, limit: int) -> bool:
    """Whether arrays and objects in `value` nest more than `limit` levels (the value being
    level 1), walked level by level, never deeper than `limit`."""
    level = [value]
    for _ in range(limit):
        inner: list[Any] = []
        for node in level:
            kind = type(node)
            children = node.values() if kind is dict else node if kind is list else ()
            for child in children:  # exact types, as parsed: the walk is this loop
                if type(child) is dict or type(child) is list:
                    inner.append(child)
        if not inner:
            return False
        level = inner
    return True


def json_text(value: Any) -> str:
    """Compact JSON text of a parsed value, however deeply it nests."""
    return _json_bytes(value).decode()


def _json_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # orjson stops at 255 levels; the parser allows 1024
        return _deep_json_text(value).encode()


class _Literal(str):
    """Text already in JSON form, queued between the values still to encode."""


def _deep_json_text(value: Any) -> str:
    parts: list[str] = []
    todo: list[Any] = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, _Literal):
            parts.append(item)
        elif isinstance(item, list):
            todo.append(_Literal("]"))
            for i in range(len(item) - 1, -1, -1):
                todo.append(item[i])
                todo.append(_Literal("," if i else ""))
            todo.append(_Literal("["))
        elif isinstance(item, dict):
            todo.append(_Literal("}"))
            entries = list(item.items())
            for i in range(len(entries) - 1, -1, -1):
                key, element = entries[i]
                todo.append(element)
                todo.append(_Literal(("," if i else "") + orjson.dumps(key).decode() + ":"))
            todo.append(_Literal("{"))
        else:
            parts.append(orjson.dumps(item).decode())
    return "".join(parts)
