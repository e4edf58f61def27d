"""Replaying to a file: NDJSON, one canonical event per line, gzip when the name ends in .gz.

Each line is the event as the canonical endpoint takes it (`replay.records`: the stored
payload plus its `event_id`), so the file can be posted or imported into another stratlog and
reproduce the run there, ids included. The file is written beside its final name with a
`.partial` suffix and renamed when the replay completes, so a replay that fails or is
interrupted never leaves a file that looks whole; the partial file is removed.
"""

import asyncio
import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from replay.errors import CannotWrite
from replay.records import LoggedEvent
from replay.sink import Delivery

PARTIAL_SUFFIX = ".partial"


class NdjsonFileSink:
    """Writes batches as NDJSON lines to `path` (gzip-compressed for `*.gz`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + PARTIAL_SUFFIX)
        self._file: BinaryIO | gzip.GzipFile | None = None

    @property
    def target(self) -> str:
        return str(self.path.resolve())

    async def send(self, batch: Sequence[LoggedEvent]) -> Delivery:
        lines = b"".join(event.wire + b"\n" for event in batch)
        try:
            await asyncio.to_thread(self._write, lines)
        except OSError as exc:
            raise CannotWrite(f"cannot write {self.partial}: {exc}") from exc
        return Delivery(stored=len(batch))

    async def finish(self, *, complete: bool) -> None:
        try:
            await asyncio.to_thread(self._finish, complete)
        except OSError as exc:
            raise CannotWrite(f"cannot write {self.path}: {exc}") from exc

    def _write(self, lines: bytes) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Held open across batches and closed in _finish, so no `with` block fits.
            if self.path.suffix == ".gz":
                self._file = gzip.open(self.partial, "wb")  # noqa: SIM115
            else:
                self._file = self.partial.open("wb")
        self._file.write(lines)

    def _finish(self, complete: bool) -> None:
        if self._file is None and complete:
            self._write(b"")  # a run with nothing left to send still gets its (empty) file
        if self._file is not None:
            self._file.close()
            self._file = None
        if complete:
            self.partial.replace(self.path)
        elif self.partial.is_file():  # not when its directory could not be made
            self.partial.unlink()
