"""Reading an NDJSON file of canonical events (optionally gzip) in bounded batches.

One canonical event per line, as `stratlog replay --out` writes them (the stored payload, with
or without its `event_id`); each line is decoded exactly as the canonical route decodes an
NDJSON body (`ingest_api.body.split_items`, `ingest_api.items.canonical_item`), so an event
keeps its client id or gets the id the log derived for it the first time. Blank lines are
skipped; a line that is not a valid event is quarantined with its text, its item index being
its 0-based ordinal among the non-blank lines. Lines are read one at a time and a batch ends at
`batch_rows` lines or `BATCH_BYTES`, so memory is bounded by the batch, never by the file; a
line longer than `MAX_LINE_BYTES` is rejected (its first KiB kept) and skipped to its end.
Progress is the position in the file as stored (compressed bytes for `.gz`).
"""

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from ingest_api.body import NDJSON_MEDIA_TYPES, RawItem, split_items
from ingest_api.imports.errors import UnreadableFile
from ingest_api.imports.model import ImportFormat, ProgressUnit
from ingest_api.imports.rows import Batch, SourceItem, source_of
from ingest_api.items import canonical_item
from ingest_api.log_store import NewEvent
from schema.events import EVENT_TYPES

MIB = 1024 * 1024
MAX_LINE_BYTES = 16 * MIB
BATCH_BYTES = 8 * MIB
UNTYPED = "unknown"  # counts the lines whose event type cannot be read or is unknown
_MEDIA_TYPE = min(NDJSON_MEDIA_TYPES)
_KEPT_OF_LONG_LINE = 1024
_READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


def first_line_is_event(path: Path, compressed: bool) -> bool:
    """True when the first non-blank line (within MAX_LINE_BYTES) is a JSON object."""
    try:
        with _opened(path, compressed) as stream:
            line = b""
            while not line.strip():
                line = stream.readline(MAX_LINE_BYTES)
                if not line:
                    return False
    except _READ_ERRORS:
        return False
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


class NdjsonFile:
    """An NDJSON(.gz) file opened for import."""

    unit = ProgressUnit.BYTES
    run_id: str | None = None

    def __init__(self, path: Path, sha256: str, file_format: ImportFormat, *, batch_rows: int):
        self._raw = path.open("rb")
        self._stream: BinaryIO | gzip.GzipFile = (
            gzip.GzipFile(fileobj=self._raw, mode="rb")
            if file_format is ImportFormat.NDJSON_GZ
            else self._raw
        )
        self._source = source_of(sha256, "ndjson")
        self._batch_rows = batch_rows
        self.total: int | None = path.stat().st_size

    def batches(self) -> Iterator[Batch]:
        index = 0
        while True:
            try:
                raws, at_end = self._read_batch()
            except _READ_ERRORS as exc:
                raise UnreadableFile(f"cannot read past line {index + 1}: {exc}") from exc
            items = []
            for raw in raws:
                items.append(_item(raw, index, self._source))
                index += 1
            if at_end:
                yield Batch(items, self.total or 0)
                return
            yield Batch(items, self._raw.tell())

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def _read_batch(self) -> tuple[list[RawItem], bool]:
        lines: list[bytes] = []
        raws: list[RawItem] = []
        size = 0
        while len(raws) + len(lines) < self._batch_rows and size < BATCH_BYTES:
            line = self._stream.readline(MAX_LINE_BYTES + 1)
            if not line:
                raws.extend(_split(lines))
                return raws, True
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                raws.extend(_split(lines))
                lines = []
                raws.append(self._long_line(line))
                continue
            if line.strip():
                lines.append(line)
                size += len(line)
        raws.extend(_split(lines))
        return raws, False

    def _long_line(self, start: bytes) -> RawItem:
        """A rejected item for a line over the limit; the rest of the line is skipped."""
        rest = start
        while rest and not rest.endswith(b"\n"):
            rest = self._stream.readline(MAX_LINE_BYTES)
        kept = start[:_KEPT_OF_LONG_LINE].decode("utf-8", errors="backslashreplace")
        return RawItem(
            kept.replace("\x00", "\\x00"), error=f"line longer than {MAX_LINE_BYTES} bytes"
        )


def _opened(path: Path, compressed: bool) -> BinaryIO | gzip.GzipFile:
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _split(lines: list[bytes]) -> list[RawItem]:
    if not lines:
        return []
    # No per-item limits beyond MAX_LINE_BYTES: a file holds what an earlier log accepted.
    return split_items(b"".join(lines), _MEDIA_TYPE, len(lines), None)


def _item(raw: RawItem, index: int, source: str) -> SourceItem:
    decoded = canonical_item(raw, index, source)
    if isinstance(decoded, NewEvent):
        return SourceItem(decoded.event_type, (decoded,))
    table = decoded.event_type if decoded.event_type in EVENT_TYPES else None
    return SourceItem(table or UNTYPED, decoded)
