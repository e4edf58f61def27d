"""Recorded exporter sessions: the wire calls of each existing exporter, as package data.

`<name>_sample.json` are verbatim copies of the calls in the design's `exporter-samples/`
(one small session per exporter); `<name>_session.json` start from them and extend them (a
strategy, more orders and bars, fills before and after their orders, later order states,
every legacy field name) into a fuller session that tests and the demo post to a server.

In the NuGet session the server assigns the run id: calls after `POST /api/runs/start` carry
`RUN_ID_PLACEHOLDER` where the client stamps the id it was given (`RecordedCall.with_run_id`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, Literal

import orjson

SessionName = Literal["quantower", "nuget"]
SESSION_NAMES: tuple[SessionName, ...] = ("quantower", "nuget")
RUN_ID_PLACEHOLDER = "{run_id}"


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One HTTP call an exporter made: method, path, JSON body (None for no body)."""

    method: str
    path: str
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None

    @property
    def assigns_run_id(self) -> bool:
        """True for the call whose answer names the run the later calls belong to."""
        return self.path == "/api/runs/start"

    def with_run_id(self, run_id: str) -> "RecordedCall":
        """This call with `run_id` where the client stamps the server-assigned run id."""
        body = orjson.loads(orjson.dumps(self.body).replace(b'"{run_id}"', orjson.dumps(run_id)))
        path = self.path.replace(RUN_ID_PLACEHOLDER, run_id)
        return RecordedCall(self.method, path, body, self.headers, self.note)


def load_session(name: SessionName) -> list[RecordedCall]:
    """The extended recorded session of an exporter, in the order it sends the calls."""
    return _load(f"{name}_session.json")


def load_sample(name: SessionName) -> list[RecordedCall]:
    """The exporter's calls exactly as in the design's exporter-samples."""
    return _load(f"{name}_sample.json")


def _load(file_name: str) -> list[RecordedCall]:
    calls = orjson.loads(files(__name__).joinpath(file_name).read_bytes())
    return [
        RecordedCall(
            method=call["method"],
            path=call["path"],
            body=call["body"],
            headers=call.get("headers") or {},
            note=call.get("note"),
        )
        for call in calls
    ]
