"""`stratlog serve` as a real child process for end-to-end tests, always killed on exit.

The command is the installed console script, so these tests also cover the entry point a
user runs. Its stdout and stderr go to files beside the data directory, to read what it
printed and to say why it failed. Clients authenticate with the admin key the first start
wrote (`admin_headers`).
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from schema.security.http import API_KEY_HEADER
from stratlog.first_start import ADMIN_KEY_FILE

STARTUP_TIMEOUT_S = 30.0
STRATLOG = Path(sys.executable).parent / "stratlog"


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ServerProcess:
    """A running `stratlog serve`: its process, address and output files."""

    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


@contextmanager
def stratlog_serve(
    *args: str,
    port: int,
    logs: Path,
    env: Mapping[str, str] | None = None,
) -> Iterator[ServerProcess]:
    """Run `stratlog serve ARGS` until the block exits; ready once `port` accepts connections."""
    logs.mkdir(parents=True, exist_ok=True)
    stdout, stderr = logs / f"serve-{port}.out", logs / f"serve-{port}.err"
    with stdout.open("ab") as out, stderr.open("ab") as err:
        process = subprocess.Popen(
            [str(STRATLOG), "serve", *args],
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
    server = ServerProcess(process, port, stdout, stderr)
    try:
        _wait_until_listening(server)
        yield server
    finally:
        stop(server)


def admin_headers(data_dir: Path) -> dict[str, str]:
    """Headers with the admin key `stratlog serve` wrote on its first start in `data_dir`."""
    return {API_KEY_HEADER: (data_dir / ADMIN_KEY_FILE).read_text().strip()}


def stop(server: ServerProcess) -> None:
    """Terminate (then kill) the process; harmless if it already exited."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=15)


def _wait_until_listening(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"stratlog serve exited early:\n{server.output()}")
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"stratlog serve did not listen within {STARTUP_TIMEOUT_S}s")


def wait_until_answering(server: ServerProcess, name: str, timeout_s: float = 30.0) -> None:
    """Block until `server` answers its OpenAPI document (an HTTP app fully started)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"{name} exited early:\n{server.output()}"
        try:
            httpx.get(f"{server.url}/openapi.json", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(f"{name} did not answer within {timeout_s}s:\n{server.output()}")
