"""What a projection asks for: rows to put, rows to put only if absent, rows to append.

Projections return these instead of touching a database; the runner applies them to its
in-memory batch state (so later events of the batch see them) and flushes them at commit.
Nothing changes them once made; they are not `frozen` only because a frozen dataclass's
`__init__` costs several times as much, and a batch makes a few of them per event.
"""

from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]  # column name -> value, for one row of a schema.tables table


@dataclass(slots=True)
class Put:
    """Insert the row or replace the stored one with the same primary key."""

    table: str
    row: Row


@dataclass(slots=True)
class PutIfAbsent:
    """Insert the row unless one with its key exists (also one another partition wrote)."""

    table: str
    row: Row


@dataclass(slots=True)
class Append:
    """Insert a new row keyed by a log position (history); never replaces anything."""

    table: str
    row: Row


Write = Put | PutIfAbsent | Append


@dataclass(slots=True)
class Read:
    """A row a projection will look at: the runner loads these before applying a batch."""

    table: str
    key: tuple[Any, ...]
