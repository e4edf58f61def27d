"""Landing recorded exporter sessions on a server and reading them back, for the end-to-end
read tests (test_read_routes.py, test_read_routes_procfile.py).

`land` posts sessions as `stratlog serve --demo` does (stratlog/demo.py, whose `Tally` reads
the answers): call by call, the server-assigned run id stamped on later calls, then the
whole session again, as a retrying client would. `Reader` asks every question with
`min_position` = the highest position ingest answered, so each answer reflects everything
posted, with no sleeping or polling.
"""

from dataclasses import dataclass, field
from typing import Any

import httpx

from read_api.consistency import POSITION_HEADER
from stratlog.demo import Tally
from stratlog.samples import SessionName, load_session
from tests.e2e.test_exporter_sessions import play

Json = Any
CATALOG_CALLS = {"/api/ingest/event/strategy_create", "/api/ingest/event/instance_create"}


@dataclass
class Landed:
    """What was posted: each session's run id and positions, every position by run."""

    runs: dict[SessionName, str] = field(default_factory=dict)
    session_positions: dict[SessionName, list[int]] = field(default_factory=dict)
    by_run: dict[str | None, list[int]] = field(default_factory=dict)  # None: the catalog

    @property
    def head(self) -> int:
        return max(p for positions in self.by_run.values() for p in positions)

    def record(self, run_id: str | None, answer: Json) -> list[int]:
        """Keep (and return) the positions an ingest answer reports as appended now."""
        tally = Tally()
        tally.add(answer)
        assert not tally.quarantined, tally.quarantined
        self.by_run.setdefault(run_id, []).extend(tally.accepted)
        return tally.accepted


async def land(client: httpx.AsyncClient, names: tuple[SessionName, ...]) -> Landed:
    """Post each session twice, as the demo does; the second pass must append nothing."""
    landed = Landed()
    for name in names:
        calls = load_session(name)
        first, again = await play(client, name), await play(client, name)
        run_id = next(
            str(response.json()["run_id"]) if call.assigns_run_id else str(call.body["run_id"])
            for call, response in zip(calls, first, strict=True)
            if call.assigns_run_id or call.path == "/api/ingest/event/run_start"
        )
        landed.runs[name] = run_id
        positions, appended = landed.session_positions.setdefault(name, []), 0
        for call, response in zip(calls, first, strict=True):
            if call.path in CATALOG_CALLS:
                appended += len(landed.record(None, response.json()))
            else:
                positions.extend(landed.record(run_id, response.json()))
        retried = Tally()
        for response in again:
            retried.add(response.json())
        assert (retried.accepted, retried.quarantined) == ([], []), name
        assert retried.duplicates == appended + len(positions), name
    return landed


@dataclass(frozen=True)
class Reader:
    """Read API requests that wait for `position`, answered 200 with the position header."""

    client: httpx.Client
    position: int

    def get(self, path: str, **params: Json) -> Json:
        return self._checked(self.client.get(path, params=self._params(params)))

    def post(self, path: str, body: Json) -> Json:
        return self._checked(self.client.post(path, params=self._params({}), json=body))

    def _params(self, params: dict[str, Json]) -> dict[str, Json]:
        return {"min_position": self.position, **params}

    def _checked(self, response: httpx.Response) -> Json:
        where = f"{response.request.method} {response.request.url}"
        assert response.status_code == 200, f"{where}: {response.status_code} {response.text}"
        assert int(response.headers[POSITION_HEADER]) >= self.position, where
        return response.json()
