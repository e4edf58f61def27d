"""Why an import refuses a file, or stops before its end.

Bad *items* are not errors: they are quarantined and counted, and the import goes on. These
are about the file as a whole: one that is not an import format at all is refused before
anything is appended (400 for an upload); one that turns out unreadable part-way (a corrupt
gzip stream, a damaged SQLite page) stops its import, which is then `failed`, with what was
read before appended (importing a fixed file again completes it: appends are idempotent).
"""

from ingest_api.errors import MalformedBody


class UnsupportedFile(MalformedBody):
    """Not an exporter `.sqlite` file, nor NDJSON (optionally gzip) of canonical events."""


class UnreadableFile(Exception):
    """The file could not be read to its end."""
