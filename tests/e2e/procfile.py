"""The Procfile's three processes as real processes on PostgreSQL and Redis, for end-to-end
tests: ingest (`uvicorn ingest_api.app:app`), an arq projector worker and read (`uvicorn
read_api.app:app`), each on its own port, all stopped when the block exits.

Each use gets its own log and projection schemas, its own Redis database and arq queue. The
worker's periodic sweep is pushed out of a test's reach, so whatever is projected came
through ingest's doorbell.
"""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from schema.settings import StoreSettings
from tests.conftest import fresh_pg_schema
from tests.credentials import key_headers
from tests.e2e.serving import ServerProcess, free_port, stop, wait_until_answering
from tests.integration.worker_env import dedicated_redis_db

ARQ = Path(sys.executable).with_name("arq")


@dataclass(frozen=True)
class Procfile:
    """The three running processes, and headers with an admin key they accept."""

    ingest: ServerProcess
    projector: ServerProcess
    read: ServerProcess
    headers: dict[str, str]


@asynccontextmanager
async def procfile_env(logs: Path) -> AsyncIterator[dict[str, str]]:
    """STRATLOG_* variables for the three processes: own schemas, own Redis db and queue."""
    async with AsyncExitStack() as stack:
        log_at = await stack.enter_async_context(fresh_pg_schema())
        projections_at = await stack.enter_async_context(fresh_pg_schema())
        redis_url = await stack.enter_async_context(dedicated_redis_db())
        yield {
            "STRATLOG_DATA_DIR": str(logs / "data"),
            "STRATLOG_LOG_URL": log_at.url,
            "STRATLOG_LOG_PG_SCHEMA": str(log_at.pg_schema),
            "STRATLOG_PROJECTION_URL": projections_at.url,
            "STRATLOG_PROJECTION_PG_SCHEMA": str(projections_at.pg_schema),
            "STRATLOG_REDIS_URL": redis_url,
            "STRATLOG_QUEUE_NAME": f"stratlog:test:{logs.name}",
            "STRATLOG_SWEEP_INTERVAL_SECONDS": "3600",
        }


@contextmanager
def procfile_processes(
    env: Mapping[str, str], logs: Path, headers: dict[str, str]
) -> Iterator[Procfile]:
    """Ingest, projector and read with `env` until the block exits (the HTTP ones answering)."""
    ingest_port, read_port = free_port(), free_port()
    with ExitStack() as stack:
        ingest = stack.enter_context(
            process("ingest", uvicorn("ingest_api.app:app", ingest_port), env, logs, ingest_port)
        )
        projector = stack.enter_context(
            process("projector", [str(ARQ), "projector.worker.WorkerSettings"], env, logs)
        )
        read = stack.enter_context(
            process("read", uvicorn("read_api.app:app", read_port), env, logs, read_port)
        )
        yield Procfile(ingest, projector, read, headers)


@asynccontextmanager
async def running_procfile(logs: Path) -> AsyncIterator[Procfile]:
    """Fresh stores and the three processes over them, until the block exits."""
    async with procfile_env(logs) as env:
        store = StoreSettings(
            data_dir=Path(env["STRATLOG_DATA_DIR"]),
            log_url=env["STRATLOG_LOG_URL"],
            log_pg_schema=env["STRATLOG_LOG_PG_SCHEMA"],
        )
        headers = await key_headers(store)  # the processes share the data directory's secret
        with procfile_processes(env, logs, headers) as processes:
            yield processes


@contextmanager
def process(
    name: str, command: list[str], env: Mapping[str, str], logs: Path, port: int = 0
) -> Iterator[ServerProcess]:
    """A Procfile line as a real process until the block exits (ready once it answers)."""
    stdout, stderr = logs / f"{name}.out", logs / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **env})
    server = ServerProcess(child, port, stdout, stderr)
    try:
        if port:
            wait_until_answering(server, name)
        yield server
    finally:
        stop(server)


def uvicorn(app: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
