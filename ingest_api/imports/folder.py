"""A folder watched for files to import (`stratlog import --watch DIR`).

The folder is polled. A file is taken once its size and modification time are unchanged
between two polls, so a file still being copied in is left alone; names starting with `.`
and ending in `.partial`, `.part`, `.tmp` or `.crdownload` (how copy tools and browsers
name files still being written) are never taken. After its import a file is moved:

- to `DIR/imported/` when its import completed (rejected rows included: they are in the
  quarantine and counted in the report);
- to `DIR/failed/` when it is not an import format or could not be read to its end;

with its report beside it as `<name>.report.json`. A name already taken there gets a UTC
timestamp prefix. A file whose import was interrupted (the watch stopped) stays where it
is and is imported again next time, which appends only what is missing.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

IMPORTED = "imported"
FAILED = "failed"
REPORT_SUFFIX = ".report.json"
IN_PROGRESS_SUFFIXES = (".partial", ".part", ".tmp", ".crdownload")


@dataclass
class FolderWatch:
    """The state of one watched folder between polls (blocking I/O: run it off the loop)."""

    folder: Path
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def ready(self) -> list[Path]:
        """Files unchanged since the previous poll, oldest name first."""
        current: dict[Path, tuple[int, int]] = {}
        for path in self.folder.iterdir():
            if path.name.startswith(".") or path.name.endswith(IN_PROGRESS_SUFFIXES):
                continue
            try:
                if not path.is_file():
                    continue
                stat = path.stat()
            except FileNotFoundError:  # moved away between listing and looking
                continue
            current[path] = (stat.st_size, stat.st_mtime_ns)
        ready = sorted(path for path, seen in current.items() if self._seen.get(path) == seen)
        self._seen = {path: seen for path, seen in current.items() if path not in ready}
        return ready

    def file_away(self, path: Path, report: bytes, *, imported: bool, now: datetime) -> Path:
        """Move `path` to imported/ or failed/ with `report` beside it; where it went."""
        target_dir = self.folder / (IMPORTED if imported else FAILED)
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        if target.exists() or (target_dir / f"{path.name}{REPORT_SUFFIX}").exists():
            target = target_dir / f"{now:%Y%m%dT%H%M%S%fZ}-{path.name}"
        path.replace(target)
        target.with_name(target.name + REPORT_SUFFIX).write_bytes(report)
        return target
