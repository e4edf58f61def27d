"""Projection catch-up: events/s of one real worker process catching up a prefilled log, beside
the raw projector loop on the same log, on SQLite and on PostgreSQL.

The log holds a generated session (bench.events), written once; every repetition projects
it from position 0 into a fresh projection store. Product: one `arq
projector.worker.WorkerSettings` process (its start-up sweep finds every partition behind),
timed from its "ready" log line until every partition's checkpoint, analytics included, has
reached the log's head. Baseline, the raw loop of DESIGN §9.1 with the plain driver (stdlib
sqlite3, asyncpg): read a page of 1000, parse each payload, upsert the page into one
keyed table, write a checkpoint, in one transaction. Redis database, queue and PostgreSQL
schemas are the test suite's isolated ones (tests/conftest.py, tests/integration/worker_env).
"""

import asyncio
import os
import re
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, closing
from datetime import datetime
from pathlib import Path

import asyncpg

from bench.events import session
from bench.prefill import copy_log_to_postgres, create_log
from bench.raw_loop import CHECKPOINT_TABLE, PAGE, ROWS_TABLE, SELECT_PAGE, raw_loop_sqlite, raw_row
from bench.server import child_server, store_settings
from bench.stats import Figure, Spread
from ingest_api.log_store import open_event_log
from schema.doorbell import partition_key
from schema.storage import is_sqlite
from tests.conftest import PG_DSN, StoreLocation, fresh_pg_schema
from tests.integration.worker_env import dedicated_redis_db

_READY = re.compile(r"^(\S+) \[info\s*\] projector worker ready", re.M)
_POLL_S = 0.02
_CHECKPOINTS = "SELECT partition, position, analytics_position FROM checkpoints"
Progress = Callable[[str], None]


async def raw_loop_postgres(log_schema: str, target_schema: str) -> float:
    """Seconds for the raw loop over the whole PostgreSQL log into another schema."""
    source, sink = await asyncpg.connect(PG_DSN), await asyncpg.connect(PG_DSN)
    try:
        await sink.execute(f'SET search_path TO "{target_schema}"')
        await sink.execute(ROWS_TABLE)
        await sink.execute(CHECKPOINT_TABLE)
        upsert = (
            "INSERT INTO raw_rows VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, kind, key)"
            " DO UPDATE SET body = excluded.body, position = excluded.position"
        )
        checkpoint = (
            "INSERT INTO raw_checkpoint VALUES ('all', $1) ON CONFLICT (name)"
            " DO UPDATE SET position = excluded.position"
        )
        select = SELECT_PAGE.format("$1", "$2").replace(
            "ingest_events", f'"{log_schema}".ingest_events'
        )
        started, position = time.perf_counter(), 0
        while page := await source.fetch(select, position, PAGE):
            rows = [raw_row(*row) for row in page]
            position = page[-1][0]
            async with sink.transaction():
                await sink.executemany(upsert, rows)
                await sink.execute(checkpoint, position)
        return time.perf_counter() - started
    finally:
        await source.close()
        await sink.close()


def measure(
    workdir: Path, events: int, repetitions: int, backends: tuple[str, ...], say: Progress
) -> list[Figure]:
    """The catch-up figures, one per backend (see the module docstring)."""
    log = workdir / "catch-up-log.sqlite3"
    count = create_log(
        log,
        session(
            seed=2, runs=max(2, events // 10_000), events_per_run=min(events, 10_000), concurrent=8
        ),
    )
    heads = _heads(log)
    figures = []
    for backend in backends:
        raw, worker = asyncio.run(_backend(workdir, log, heads, backend, repetitions, say))
        figures.append(
            Figure(
                f"one worker (`arq projector.worker.WorkerSettings`) catching up a {count:,}-event"
                f" log, {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}",
                "events/s",
                Spread.of([count / s for s in worker]),
                f"raw loop: read page, parse, upsert, checkpoint ({_DRIVERS[backend]})",
                Spread.of([count / s for s in raw]),
                f"{len(heads)} partitions; timed from the worker's ready line to every checkpoint "
                "(analytics included) at the log head",
            )
        )
    log.unlink()
    return figures


_DRIVERS = {"sqlite": "stdlib sqlite3, FULL", "postgres": "asyncpg"}


async def _backend(
    workdir: Path,
    log: Path,
    heads: dict[str, int],
    backend: str,
    repetitions: int,
    say: Progress,
) -> tuple[list[float], list[float]]:
    raw, worker = [], []
    async with AsyncExitStack() as stack:
        log_location = None
        if backend == "postgres":
            log_location = await stack.enter_async_context(fresh_pg_schema())
            events_log = await open_event_log(log_location.url, pg_schema=log_location.pg_schema)
            await events_log.close()  # the product's tables, then the rows copied in
            assert log_location.pg_schema is not None
            await copy_log_to_postgres(log, PG_DSN, log_location.pg_schema)
        for repetition in range(repetitions):
            if backend == "sqlite":
                target = workdir / f"raw-{repetition}.sqlite3"
                raw.append(raw_loop_sqlite(log, target))
                target.unlink()
            else:
                assert log_location is not None
                assert log_location.pg_schema is not None
                async with fresh_pg_schema() as target_location:
                    assert target_location.pg_schema is not None
                    raw.append(
                        await raw_loop_postgres(log_location.pg_schema, target_location.pg_schema)
                    )
            async with _worker_stores(workdir, log, log_location, repetition) as env:
                worker.append(await _worker_pass(workdir, env, heads))
            say(
                f"catch-up #{repetition + 1} {backend}: raw loop {raw[-1]:.1f} s, "
                f"worker {worker[-1]:.1f} s ({len(heads)} partitions)"
            )
    return raw, worker


@asynccontextmanager
async def _worker_stores(
    workdir: Path, log: Path, log_location: StoreLocation | None, repetition: int
) -> AsyncIterator[dict[str, str]]:
    """The environment of a worker over the log and a fresh projection store and queue."""
    async with dedicated_redis_db() as redis_url:
        env = {
            "STRATLOG_DATA_DIR": str(workdir),
            "STRATLOG_REDIS_URL": redis_url,
            "STRATLOG_QUEUE_NAME": f"stratlog:bench:{os.getpid()}:{repetition}",
        }
        if log_location is None:
            projections = workdir / f"projections-{repetition}.sqlite3"
            env |= {
                "STRATLOG_LOG_URL": f"sqlite+aiosqlite:///{log}",
                "STRATLOG_PROJECTION_URL": f"sqlite+aiosqlite:///{projections}",
            }
            try:
                yield env
            finally:
                for path in workdir.glob(f"{projections.name}*"):
                    path.unlink()
            return
        async with fresh_pg_schema() as projection_location:
            env |= {
                "STRATLOG_LOG_URL": log_location.url,
                "STRATLOG_LOG_PG_SCHEMA": str(log_location.pg_schema),
                "STRATLOG_PROJECTION_URL": projection_location.url,
                "STRATLOG_PROJECTION_PG_SCHEMA": str(projection_location.pg_schema),
            }
            yield env


async def _worker_pass(workdir: Path, env: dict[str, str], heads: dict[str, int]) -> float:
    """Seconds from the worker's ready line until every partition is caught up."""
    output = workdir / "worker.log"
    arq = str(Path(sys.executable).with_name("arq"))
    checkpoints = Checkpoints(env)
    try:
        with child_server([arq, "projector.worker.WorkerSettings"], 0, output, env):
            ready = await _ready_time(output)
            deadline = time.monotonic() + 3600
            while not _caught_up(await checkpoints.read(), heads):
                if time.monotonic() > deadline:
                    raise SystemExit(f"the worker did not catch up in an hour; see {output}")
                await asyncio.sleep(_POLL_S)
            return time.time() - ready
    finally:
        await checkpoints.close()


async def _ready_time(output: Path) -> float:
    deadline = time.monotonic() + 60
    while (found := _READY.search(output.read_text())) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"the worker did not get ready within 60 s; see {output}")
        await asyncio.sleep(_POLL_S)
    return datetime.fromisoformat(found[1].replace("Z", "+00:00")).timestamp()


def _caught_up(checkpoints: dict[str, tuple[int, int]], heads: dict[str, int]) -> bool:
    """Every partition projected to its log head, analytics included."""
    return all(
        (done := checkpoints.get(partition)) is not None and done[0] >= head and done[1] >= done[0]
        for partition, head in heads.items()
    )


class Checkpoints:
    """Reads `{partition: (position, analytics position)}` from the projection store the
    STRATLOG_* variables `env` name, over one connection kept open (it is polled every few
    milliseconds); empty until the projector has created the store."""

    def __init__(self, env: Mapping[str, str]) -> None:
        settings = store_settings(env)
        self._url = settings.resolved_projection_url()
        self._query = _CHECKPOINTS
        if not is_sqlite(self._url):
            schema = settings.projection_pg_schema
            self._query = _CHECKPOINTS.replace("checkpoints", f'"{schema}".checkpoints')
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: asyncpg.Connection | None = None

    async def read(self) -> dict[str, tuple[int, int]]:
        if is_sqlite(self._url):
            return self._read_sqlite()
        if self._postgres is None:
            self._postgres = await asyncpg.connect(PG_DSN)
        try:
            rows = await self._postgres.fetch(self._query)
        except asyncpg.UndefinedTableError:
            return {}
        return {row[0]: (row[1], row[2]) for row in rows}

    def _read_sqlite(self) -> dict[str, tuple[int, int]]:
        if self._sqlite is None:
            path = Path(self._url.split("///", 1)[1])
            if not path.exists():
                return {}
            self._sqlite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {p: (a, b) for p, a, b in self._sqlite.execute(self._query)}
        except sqlite3.OperationalError:  # the tables are being created
            return {}

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._postgres is not None:
            await self._postgres.close()


def _heads(log: Path) -> dict[str, int]:
    """Each partition's last position in the log."""
    with closing(sqlite3.connect(log)) as connection:
        rows = connection.execute(
            "SELECT run_id, max(position) FROM ingest_events GROUP BY run_id"
        ).fetchall()
    return {partition_key(run_id): int(head) for run_id, head in rows}
