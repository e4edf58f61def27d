"""Real server child processes for the benchmarks (`stratlog serve`, or any command that
listens on a loopback port), always stopped on exit.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def stratlog_server(data_dir: Path, port: int, stderr_path: Path) -> Iterator[None]:
    """Run `stratlog serve` on 127.0.0.1:`port` until the block exits."""
    command = [
        str(Path(sys.executable).parent / "stratlog"),
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with child_server(command, port, stderr_path):
        yield


@contextmanager
def child_server(
    command: list[str], port: int, stderr_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command`, a server for 127.0.0.1:`port`, until the block exits; `env` is added
    to this process's environment."""
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, **(env or {})}
        )
        try:
            _wait_for_port(process, port, stderr_path)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
