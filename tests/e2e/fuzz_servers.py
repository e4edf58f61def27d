"""The servers schemathesis drives (tests/e2e/test_api_fuzz.py): `stratlog serve` holding
recorded sessions, fully projected, and the values those sessions hold. Each server comes
with an admin key it accepts (created in its data directory before it starts).

Generated ids almost never name a run, so on their own they only reach the 404 branch of
each route. `KnownValues.substitute` makes schemathesis put known values (a run, instance,
strategy, order or trade id the served data holds, with the run it belongs to, a symbol, the
projected head as `min_position`) over part of the generated ones, so found rows are
answered and checked too.

Read-your-writes gets almost no time (`min_position` beyond the projections is a 409 at once):
fuzzing asks for positions far ahead all the time and each would otherwise wait seconds. The
brake on failed authentications is opened wide: the fuzzer logs in with made-up passwords
from the one address every request comes from, which would otherwise soon refuse them all.
"""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st

from ingest_api.settings import IngestSettings
from read_api.consistency import POSITION_HEADER
from schema.security.http import API_KEY_HEADER
from stratlog.samples import SESSION_NAMES
from tests.credentials import new_key
from tests.e2e.serving import ServerProcess, free_port, stratlog_serve, wait_until_answering
from tests.e2e.test_exporter_sessions import play
from tests.fixtures.sessions import analytics_session, bracket_session

PROJECTED_TIMEOUT_S = 30.0
STRATEGY = "StackedImbalance"  # every session's
FUZZING = {
    "STRATLOG_READ_YOUR_WRITES_TIMEOUT_SECONDS": "0.01",
    "STRATLOG_AUTH_FAILURE_BURST": "1000000",
}


@dataclass(frozen=True)
class Served:
    """A running server and the headers that carry an admin key it accepts."""

    server: ServerProcess
    headers: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def serving(logs: Path) -> Iterator[Served]:
    """`stratlog serve` on a free port with a new data directory, until the block exits."""
    port = free_port()
    data = logs / "data"
    key = asyncio.run(new_key(IngestSettings(data_dir=data)))
    args = ("--data-dir", str(data), "--port", str(port))
    with stratlog_serve(*args, port=port, logs=logs, env=FUZZING) as server:
        wait_until_answering(server, "stratlog serve")
        yield Served(server, {API_KEY_HEADER: key})
    assert "Traceback" not in server.output(), server.output()


def land_sessions(client: httpx.Client) -> int:
    """Post both exporters' sessions on their paths and two canonical ones (a bracket, a
    round trip), wait until the projections and analytics reflect them; the log head."""
    credentials = {API_KEY_HEADER: client.headers[API_KEY_HEADER]}
    asyncio.run(_play_exporters(str(client.base_url), credentials))
    for events in (bracket_session("fuzz-bracket"), analytics_session()):
        client.post("/api/v1/events", json=events).raise_for_status()
    head = int(client.get("/api/v1/events", params={"limit": 1}).headers[POSITION_HEADER])
    # Analytics trail the projections; with no run in the path, an analytics route's horizon
    # is the whole store's, so once it answers (not 409) everything is projected.
    reflected = f"/api/v1/strategies/{STRATEGY}/metrics"
    deadline = time.monotonic() + PROJECTED_TIMEOUT_S
    while client.get(reflected, params={"min_position": head}).status_code == 409:
        assert time.monotonic() < deadline, f"not projected up to {head} in time"
        time.sleep(0.05)
    return head


Row = dict[str, Any]  # parameter values that go together (a run and one of its orders)


@dataclass
class KnownValues:
    """Values the served data holds, as groups of rows with the same parameter names.

    Empty until a server has landed its sessions: schemathesis builds its strategies when
    tests are collected, before any server runs, and `substitute` reads these as it draws.
    """

    groups: list[list[Row]] = field(default_factory=list)  # fewer names first

    def learn(self, client: httpx.Client, head: int) -> None:
        """Ask the read API for every id it holds (and keep `head` as a `min_position`)."""
        runs = [run["run_id"] for run in _items(client, "/api/v1/runs")]
        instances = [i["instance_id"] for i in _items(client, "/api/v1/instances")]
        strategies = [s["strategy_id"] for s in _items(client, "/api/v1/strategies")]
        orders = [(r, o) for r in runs for o in _items(client, f"/api/v1/runs/{r}/orders")]
        trades = [(r, t) for r in runs for t in _items(client, f"/api/v1/runs/{r}/trades")]
        self.groups = [
            [{"run_id": run} for run in runs],
            [{"instance_id": instance} for instance in instances],
            [{"strategy_id": strategy} for strategy in strategies],
            [{"symbol": symbol} for symbol in sorted({o["symbol"] for _, o in orders})],
            [{"min_position": head}],
            [{"run_ids": runs}],  # the body of POST /api/metrics/compare
            [
                {"kind": "runs", "ids": runs},  # the body of POST /api/v1/compare
                {"kind": "instances", "ids": instances},
                {"kind": "strategies", "ids": strategies},
            ],
            [{"run_id": run, "order_id": order["order_id"]} for run, order in orders],
            [{"run_id": run, "trade_id": trade["trade_id"]} for run, trade in trades],
        ]
        assert all(self.groups), self.groups

    def substitute(self, case: schemathesis.Case[Any]) -> st.SearchStrategy[Any]:
        """For a `flatmap_case` hook: a valid `case` with known values put over part of its
        generated ones. An invalid case is left alone: a known value could make it valid."""
        if case.meta is None or case.meta.generation.mode.is_negative:
            return st.just(case)
        parts = (case.path_parameters, case.query, case.body)
        return st.tuples(*(self._overlaid(part) for part in parts)).map(
            lambda overlaid: _with_parts(case, *overlaid)
        )

    def _overlaid(self, values: Any) -> st.SearchStrategy[Any]:
        """`values`, with from each group whose names it has nothing or one row over it."""
        if not isinstance(values, dict):
            return st.just(values)
        names = set(values)
        picks = [st.sampled_from([{}, *rows]) for rows in self.groups if set(rows[0]) <= names]
        return st.tuples(*picks).map(lambda rows: _merged(values, *rows))


def _merged(*rows: Row) -> Row:
    return {name: value for row in rows for name, value in row.items()}


def _with_parts(
    case: schemathesis.Case[Any], path_parameters: Row, query: Row, body: Any
) -> schemathesis.Case[Any]:
    case.path_parameters, case.query, case.body = path_parameters, query, body
    return case


def _items(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    response = client.get(path, params={"limit": 1000})
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _play_exporters(url: str, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        for name in SESSION_NAMES:
            await play(client, name)
