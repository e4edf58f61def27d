"""Reading a request body: size limits, decompression, and splitting it into raw items.

The body is counted as it streams in, so a client without a Content-Length is held to the same
limit as one with it. gzip and deflate bodies are inflated with a bounded output size: a
decompression bomb stops at the limit with a 413 instead of filling memory. A body holds one
JSON value, a JSON array of items, or NDJSON (by Content-Type, or sniffed when a body that is
not one JSON value has several lines). Each item keeps its raw text for the quarantine.
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


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item as received: its text and its JSON value, or why the text is not JSON."""

    raw: str
    value: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """How much one request may carry."""

    max_body_bytes: int
    max_decompressed_bytes: int
    max_items: int

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> "BodyLimits":
        return cls(
            settings.max_body_bytes, settings.max_decompressed_bytes, settings.max_batch_items
        )


class Inflater:
    """Incremental gzip/deflate decoding that never produces more than `limit` bytes."""

    def __init__(self, wbits: int, limit: int) -> None:
        self._wbits, self._limit = wbits, limit
        self._inflate = zlib.decompressobj(wbits)
        self._out = bytearray()
        self._fed = False

    def feed(self, data: bytes) -> None:
        try:
            while data:
                self._fed = True
                if self._inflate.eof:  # concatenated gzip members are one body
                    self._inflate = zlib.decompressobj(self._wbits)
                room = self._limit - len(self._out) + 1
                self._out += self._inflate.decompress(data, room)
                if len(self._out) > self._limit:
                    raise PayloadTooLarge(f"decompressed body exceeds {self._limit} bytes")
                ended = self._inflate.eof  # what follows is the next member, else more input
                data = self._inflate.unused_data if ended else self._inflate.unconsumed_tail
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


def split_items(body: bytes, content_type: str | None, max_items: int) -> list[RawItem]:
    """The items of a JSON array, a single JSON value, or NDJSON."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in NDJSON_MEDIA_TYPES:
        return _ndjson_items(body, max_items)
    stripped = body.strip()
    if not stripped:
        raise MalformedBody("body is empty")
    try:
        value = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        if not stripped.startswith(b"[") and b"\n" in stripped:
            return _ndjson_items(body, max_items)
        raise MalformedBody(f"body is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        return [RawItem(stripped.decode(), value)]
    return array_items(value, max_items)


def array_items(values: list[Any], max_items: int) -> list[RawItem]:
    """Raw items of already parsed JSON values."""
    check_item_count(len(values), max_items)
    return [RawItem(json_text(value), value) for value in values]


def check_item_count(count: int, max_items: int) -> None:
    if count > max_items:
        raise PayloadTooLarge(f"{count} items in one request; the limit is {max_items}")


def _ndjson_items(body: bytes, max_items: int) -> list[RawItem]:
    lines = [line.strip() for line in body.split(b"\n")]
    lines = [line for line in lines if line]
    check_item_count(len(lines), max_items)
    items = []
    for line in lines:
        try:
            items.append(RawItem(line.decode(), orjson.loads(line)))
        except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
            # Kept as text, escaped where it is not (NUL cannot be stored on PostgreSQL).
            text = line.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")
            items.append(RawItem(text, error=f"line is not valid JSON: {exc}"))
    return items


def json_text(value: Any) -> str:
    """Compact JSON text of a parsed value, however deeply it nests."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # orjson stops at 255 levels; the parser allows 1024
        return _deep_json_text(value)


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
