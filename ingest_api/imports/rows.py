"""What a source file yields: batches of items, each item decoded into events or a rejection.

An item is one unit of the source (an exporter table row, an NDJSON line). It may stand for
several events (an order row: the order placed, then its final status); it is appended whole
or refused whole, so one bad field never leaves half an order in the log and the report
counts rows, not events. Readers (`sqlite_export`, `ndjson_file`) run on a thread of their
own and yield these; the job appends them.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ingest_api.body import RawItem
from ingest_api.imports.model import ProgressUnit
from ingest_api.items import Decoded, reject
from ingest_api.log_store import FieldError, NewEvent, Rejection


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One item of the source: the events it became, or the rejection that keeps it."""

    table: str
    decoded: tuple[NewEvent, ...] | Rejection


@dataclass(frozen=True, slots=True)
class Batch:
    """Items read together, and how far into the source they reach (`ProgressUnit`)."""

    items: Sequence[SourceItem]
    progress: int


class ImportSource(Protocol):
    """A file opened for import: what it is, and its items in batches (bounded memory)."""

    @property
    def unit(self) -> ProgressUnit: ...

    @property
    def total(self) -> int | None:
        """The progress the last batch reaches, when known up front."""
        ...

    @property
    def run_id(self) -> str | None:
        """The run the whole file is, when it is one."""
        ...

    def batches(self) -> Iterator[Batch]: ...

    def close(self) -> None: ...


def item_of(
    table: str,
    raw: RawItem,
    index: int,
    source: str,
    decoded: Sequence[Decoded],
    context: Mapping[str, Any],
) -> SourceItem:
    """An item made of `decoded`: its events, or one rejection carrying every error."""
    events = tuple(item for item in decoded if isinstance(item, NewEvent))
    if len(events) == len(decoded):
        return SourceItem(table, events)
    errors: list[FieldError] = []
    for item in decoded:
        if isinstance(item, Rejection):
            errors.extend(item.errors)
    return SourceItem(table, reject(raw, index, source, errors, context))


def json_safe(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with BLOB values as text, so it can be kept as JSON in the quarantine."""
    return {
        key: value.decode("utf-8", errors="backslashreplace") if isinstance(value, bytes) else value
        for key, value in row.items()
    }


def source_of(sha256: str, table: str) -> str:
    """The log's `source` of what an import of this content appends or quarantines: the
    same for every import of one file, so its rows are found whichever import kept them."""
    return f"import:{sha256[:16]}:{table}"
