"""Real server child processes for the benchmarks, always stopped on exit, and how to talk to
them: the one place the bench builds its request headers.

Every route is authenticated (DESIGN §8): on its first start `stratlog serve` writes an
admin key to `<data-dir>/admin.key`, which `Api.of` reads once the server is up. The
Procfile's processes write no such file, so before starting them the bench calls
`provision_admin_key`, which does what serve does: it creates an admin key in the
deployment's log store through the product's credential store and writes the file (after a
`serve` that wrote none, the same call makes up for it). Without the file (a tree from
before authentication) requests carry no key.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema.settings import StoreSettings

STARTUP_TIMEOUT_S = 60.0
KEY_FILE = "admin.key"
API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True, slots=True)
class Api:
    """Where a server listens and the headers every request to it carries."""

    host: str
    port: int
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def of(cls, port: int, data_dir: Path) -> "Api":
        """The server on loopback `port`, with the admin key of `data_dir` if it has one."""
        key_file = data_dir / KEY_FILE
        key = key_file.read_text().strip() if key_file.exists() else None
        return cls("127.0.0.1", port, {API_KEY_HEADER: key} if key else {})


async def provision_admin_key(environment: Mapping[str, str], data_dir: Path) -> None:
    """Write `<data_dir>/admin.key` as `stratlog serve` does, for the deployment that
    `environment` (STRATLOG_* variables) describes; nothing if authentication is not there."""
    if (data_dir / KEY_FILE).exists():
        return
    try:
        from tests.credentials import new_key
    except ImportError:  # a tree from before authentication: no key to make
        return
    key = await new_key(store_settings(environment), name="bench")
    (data_dir / KEY_FILE).write_text(key + "\n")
    (data_dir / KEY_FILE).chmod(0o600)


def store_settings(environment: Mapping[str, str]) -> StoreSettings:
    """The store settings a process started with `environment` (STRATLOG_* variables) reads."""
    names = {f"STRATLOG_{name.upper()}": name for name in StoreSettings.model_fields}
    values: dict[str, Any] = {names[k]: v for k, v in environment.items() if k in names}
    return StoreSettings(**values)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def stratlog_server(
    data_dir: Path, stderr_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[int]:
    """Run `stratlog serve` (the embedded default) on a free loopback port until the block
    exits; the port."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "stratlog"), "serve", "--data-dir",
               str(data_dir), "--port", str(port), "--log-level", "warning"]  # fmt: skip
    with child_server(command, port, stderr_path, env):
        yield port


@contextmanager
def child_server(
    command: list[str], port: int, stderr_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command`, a server for 127.0.0.1:`port` (0: none to wait for), until the block
    exits; `env` is added to this process's environment."""
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, **(env or {})}
        )
        try:
            if port:
                _wait_for_port(process, port, stderr_path)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def _wait_for_port(process: subprocess.Popen[bytes], port: int, stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited: {stderr_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args!r} did not open port {port} in {STARTUP_TIMEOUT_S}s")
