"""Where a benchmark's figures go: the machine they were measured on, a JSON record, and a
section of docs/benchmarks.md that a re-run replaces (between markers named for the bench).
"""

import json
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "benchmarks.md"
LIBRARIES = (
    "fastapi",
    "uvicorn",
    "pydantic",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "orjson",
    "httptools",
    "arq",
    "redis",
)
_DOC_HEAD = """# Benchmarks

Figures measured on the project's machines by the harness in `bench/` (see bench/README.md).
Every figure stands beside a baseline measured in the same run on the same machine; read
the ratio, not the absolute number: runs on these shared machines drift by about ±30%.
"""


def machine(module: str) -> dict[str, Any]:
    """What the figures were measured on and with; `module` is the bench's `-m` name."""
    python = Path(sys.executable)
    if python.is_relative_to(REPO_ROOT):
        python = python.relative_to(REPO_ROOT)
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([str(python), "-m", module, *sys.argv[1:]]),
        "nproc": os.cpu_count(),
        "memory_gib": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "libraries": {name: _version(name) for name in LIBRARIES},
        "commit": _git_describe(),
    }


def write_json(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")


def replace_doc_section(name: str, markdown: str) -> None:
    """Put `markdown` into docs/benchmarks.md as the section of bench `name`."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = DOC.read_text() if DOC.exists() else _DOC_HEAD
    section = f"{begin}\n{markdown.rstrip()}\n{end}"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text)


def machine_lines(info: dict[str, Any]) -> str:
    """The machine as a short markdown list."""
    libraries = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    return "\n".join(
        [
            f"- Date: {info['date_utc']}; commit {info['commit']}",
            f"- Command: `{info['command']}`",
            f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, "
            f"{info['os']}",
            f"- Python {info['python']}, SQLite {info['sqlite']}; {libraries}",
        ]
    )


def _meminfo_kib(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_describe() -> str:
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"
