"""What a file to import is: its format (from its content, not its name) and its fingerprint.

A SQLite file must have at least one of the exporter's tables; a gzip file is NDJSON inside;
anything else is NDJSON when its first non-blank line is a JSON object. Other files are
refused before anything is appended (`UnsupportedFile`). The SHA-256 of the bytes names the
content: it derives an export's run id and the `source` of what its import appends.
"""

import hashlib
import sqlite3
from pathlib import Path

from ingest_api.imports.errors import UnsupportedFile
from ingest_api.imports.model import ImportFormat
from ingest_api.imports.ndjson_file import NdjsonFile, first_line_is_event
from ingest_api.imports.rows import ImportSource
from ingest_api.imports.sqlite_export import (
    SQLITE_HEADER,
    SqliteExport,
    export_tables,
    open_readonly,
)

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024


def fingerprint(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (hex) and size, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def detect_format(path: Path) -> ImportFormat:
    """The file's import format, or UnsupportedFile saying why it has none."""
    with path.open("rb") as stream:
        head = stream.read(len(SQLITE_HEADER))
    if not head:
        raise UnsupportedFile("the file is empty")
    if head.startswith(SQLITE_HEADER):
        _check_export(path)
        return ImportFormat.SQLITE
    compressed = head.startswith(GZIP_MAGIC)
    if first_line_is_event(path, compressed):
        return ImportFormat.NDJSON_GZ if compressed else ImportFormat.NDJSON
    raise UnsupportedFile(
        "neither an exporter .sqlite file nor NDJSON of events (optionally gzip): "
        + ("its first line is not a JSON object" if not compressed else "no JSON object inside")
    )


def open_source(
    path: Path, file_format: ImportFormat, sha256: str, *, batch_rows: int
) -> ImportSource:
    """The file opened for reading its items (blocking I/O: call it off the event loop)."""
    if file_format is ImportFormat.SQLITE:
        return SqliteExport(path, sha256, batch_rows=batch_rows)
    return NdjsonFile(path, sha256, file_format, batch_rows=batch_rows)


def _check_export(path: Path) -> None:
    try:
        conn = open_readonly(path)
        try:
            tables = export_tables(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise UnsupportedFile(f"the SQLite file cannot be read: {exc}") from exc
    if not tables:
        raise UnsupportedFile(
            "a SQLite file without any of the exporter's tables "
            "(Metadata, Bars, Orders, Executions)"
        )
