"""Receiving an upload: the `file` part of a multipart body, streamed to a file on disk.

The body is parsed as it arrives (python-multipart), never held in memory: the file part's
bytes go straight to `target` (in the data directory) and through SHA-256. The body is counted
as it streams, so the size limit holds without a Content-Length too (413), like every ingest
body. Parsing and writing run on a worker thread, chunk by chunk, so the event loop keeps
serving. Other form fields are ignored; only the first part named `file` is kept.
"""

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from ingest_api.errors import MalformedBody, PayloadTooLarge

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FIELD = "file"
_MULTIPART = b"multipart/form-data"


@dataclass(frozen=True, slots=True)
class Upload:
    """The received file: the name the client gave it, its size and its SHA-256."""

    filename: str
    size_bytes: int
    sha256: str


async def receive_upload(request: Request, target: Path, *, max_bytes: int) -> Upload:
    """Stream the body's `file` part to `target`; nothing is left there if this fails."""
    media_type, options = parse_options_header(request.headers.get("content-type"))
    if media_type != _MULTIPART or not options.get(b"boundary"):
        raise MalformedBody(f"expected multipart/form-data with a part named {FIELD!r}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"upload exceeds {max_bytes} bytes")
    part = _FilePart(target)
    try:
        try:
            parser = MultipartParser(options[b"boundary"], part.callbacks())
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > max_bytes:
                    raise PayloadTooLarge(f"upload exceeds {max_bytes} bytes")
                await asyncio.to_thread(parser.write, chunk)
            parser.finalize()
        except FormParserError as exc:
            raise MalformedBody(f"malformed multipart body: {exc}") from None
        finally:
            await asyncio.to_thread(part.close)
        if part.filename is None:
            raise MalformedBody(f"no complete part named {FIELD!r} in the multipart body")
    except BaseException:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        raise
    return Upload(part.filename, part.size, part.digest.hexdigest())


class _FilePart:
    """python-multipart callbacks keeping the first `file` part: written and hashed. The
    file is created when that part begins, so a body without one leaves nothing on disk."""

    def __init__(self, target: Path) -> None:
        self._target = target
        self._stream: BinaryIO | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None  # set once the part is complete
        self._name, self._value, self._disposition = b"", b"", b""
        self._writing = False
        self._pending_filename: str | None = None

    def callbacks(self) -> "MultipartCallbacks":
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._disposition = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._name.strip().lower() == b"content-disposition":
            self._disposition = self._value
        self._name, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._writing = options.get(b"name") == FIELD.encode() and self._pending_filename is None
        if self._writing:
            self._target.parent.mkdir(parents=True, exist_ok=True)
            self._stream = self._target.open("wb")  # closed by close(), after the body
            sent = options.get(b"filename", b"").decode("utf-8", errors="replace")
            self._pending_filename = Path(sent.replace("\\", "/")).name or "upload"

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._writing and self._stream is not None:
            self._stream.write(data[start:end])
            self.digest.update(data[start:end])
            self.size += end - start

    def _end(self) -> None:
        if self._writing:
            self.filename = self._pending_filename
        self._writing = False
