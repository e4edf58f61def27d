"""The read API's routes as the end-to-end read tests ask them (test_read_routes.py): one
concrete request per route of the OpenAPI document, the lists to walk page by page, the
requests naming an unknown id, and the malformed ones.

Paths, parameters and bodies hold `{run}` (the Quantower run), `{nuget}` (the run the server
assigned to the NuGet session), `{instance}`, `{trade}` (a Quantower trade) and `{head}`
(the last landed position); `Request.resolved` fills them in.
"""

from dataclasses import dataclass, field
from typing import Any

from read_api.cursors import encode_cursor

Json = Any
UNKNOWN = "no-such-id"


@dataclass(frozen=True)
class Request:
    """A GET (or, with a body, a POST) with `{placeholders}` still in it."""

    path: str
    params: dict[str, Json] = field(default_factory=dict)
    body: Json = None

    def resolved(self, ids: dict[str, str]) -> "Request":
        return Request(_fill(self.path, ids), _fill(self.params, ids), _fill(self.body, ids))

    def __str__(self) -> str:  # the test id
        return " ".join([self.path, *(f"{k}={v}" for k, v in self.params.items())])


def _fill(value: Json, ids: dict[str, str]) -> Json:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


# Every route of the read app's OpenAPI document, by its template there, asked about these.
_ABOUT = {
    "strategy_id": "StackedImbalance",
    "instance_id": "{instance}",
    "run_id": "{run}",
    "order_id": "1004",
    "trade_id": "{trade}",
}
_TEMPLATES = [
    "/api/strategies/", "/api/v1/strategies", "/api/strategies/{strategy_id}",
    "/api/strategies/{strategy_id}/instances", "/api/v1/strategies/{strategy_id}/metrics",
    "/api/v1/instances", "/api/v1/instances/{instance_id}",
    "/api/v1/instances/{instance_id}/metrics", "/api/runs/instance/{instance_id}",
    "/api/v1/runs", "/api/runs/{run_id}", "/api/v1/runs/{run_id}",
    "/api/v1/runs/{run_id}/orders", "/api/v1/runs/{run_id}/orders/{order_id}/history",
    "/api/executions/run/{run_id}", "/api/v1/runs/{run_id}/executions",
    "/api/v1/runs/{run_id}/oco-groups", "/api/bars/", "/api/v1/runs/{run_id}/bars",
    "/api/runs/{run_id}/trades", "/api/v1/runs/{run_id}/trades",
    "/api/v1/runs/{run_id}/trades/{trade_id}/matches", "/api/v1/runs/{run_id}/open-positions",
    "/api/v1/runs/{run_id}/equity", "/api/v1/runs/{run_id}/metrics",
    "/api/v1/runs/{run_id}/events", "/api/v1/events", "/api/v1/orphans", "/api/v1/quarantine",
    "/api/v1/runs/stale", "/api/metrics/compare", "/api/v1/compare",
]  # fmt: skip
_PARAMS: dict[str, dict[str, Json]] = {
    "/api/v1/runs": {"strategy_id": "StackedImbalance"},
    "/api/bars/": {"run_id": "{run}", "symbol": "ESM5"},
    "/api/v1/runs/{run_id}/bars": {"symbol": "ESM5"},
    "/api/v1/events": {"to_position": "{head}"},
}
_BODIES = {
    "/api/metrics/compare": {"run_ids": ["{run}"]},
    "/api/v1/compare": {"kind": "runs", "ids": ["{run}"]},
}
ROUTES = {
    template: Request(template.format(**_ABOUT), _PARAMS.get(template, {}), _BODIES.get(template))
    for template in _TEMPLATES
}
# Not answers read from the stores at one position: status, Prometheus metrics, the stream,
# and the dashboard users' login (tests/integration/test_auth_users.py).
UNPOSITIONED = {
    "/api/status",
    "/metrics",
    "/api/v1/stream",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/me",
}

# Lists of two items or more (runs filtered to the sessions' strategy, the log to the head).
PAGED = [
    Request("/api/v1/instances"),
    Request("/api/strategies/StackedImbalance/instances"),
    Request("/api/v1/runs", {"strategy_id": "StackedImbalance"}),
    Request("/api/v1/runs", {"strategy_id": "StackedImbalance", "sort": "-start_utc"}),
    Request("/api/v1/runs/{run}/orders"),
    Request("/api/v1/runs/{nuget}/orders/1003/history"),
    Request("/api/executions/run/{run}"),
    Request("/api/v1/runs/{nuget}/executions"),
    Request("/api/bars/", {"run_id": "{run}", "symbol": "ESM5"}),
    Request("/api/v1/runs/{nuget}/bars", {"symbol": "ESM5"}),
    Request("/api/v1/runs/{run}/bars", {"symbol": "ESM5", "bucket": "2m"}),
    Request("/api/runs/{run}/trades"),
    Request("/api/v1/runs/{nuget}/trades"),
    Request("/api/v1/runs/{run}/trades/{trade}/matches"),
    Request("/api/v1/runs/{run}/equity"),
    Request("/api/v1/runs/{run}/events"),
    Request("/api/v1/events", {"to_position": "{head}"}),
    Request("/api/v1/events", {"to_position": "{head}", "type": "execution.recorded"}),
    Request("/api/v1/quarantine"),
]

_RUN_PATHS = [
    "/api/runs/{}", "/api/v1/runs/{}", "/api/v1/runs/{}/orders",
    "/api/v1/runs/{}/orders/1001/history", "/api/executions/run/{}",
    "/api/v1/runs/{}/executions", "/api/v1/runs/{}/oco-groups", "/api/runs/{}/trades",
    "/api/v1/runs/{}/trades", "/api/v1/runs/{}/trades/{{trade}}/matches",
    "/api/v1/runs/{}/open-positions", "/api/v1/runs/{}/equity", "/api/v1/runs/{}/metrics",
    "/api/v1/runs/{}/events",
]  # fmt: skip
NOT_FOUND = [
    *(Request(path.format(UNKNOWN)) for path in _RUN_PATHS),
    Request("/api/bars/", {"run_id": UNKNOWN, "symbol": "ESM5"}),
    Request(f"/api/v1/runs/{UNKNOWN}/bars", {"symbol": "ESM5"}),
    Request("/api/v1/stream", {"run_id": UNKNOWN}),
    Request(f"/api/v1/runs/{{run}}/orders/{UNKNOWN}/history"),
    Request(f"/api/v1/runs/{{run}}/trades/{UNKNOWN}/matches"),
    Request(f"/api/strategies/{UNKNOWN}"),
    Request(f"/api/strategies/{UNKNOWN}/instances"),
    Request(f"/api/v1/strategies/{UNKNOWN}/metrics"),
    Request(f"/api/v1/instances/{UNKNOWN}"),
    Request(f"/api/v1/instances/{UNKNOWN}/metrics"),
    Request(f"/api/runs/instance/{UNKNOWN}"),
    Request("/api/metrics/compare", body={"run_ids": ["{run}", UNKNOWN]}),
    *(
        Request("/api/v1/compare", body={"kind": kind, "ids": [UNKNOWN]})
        for kind in ("runs", "instances", "strategies")
    ),
]

_NAIVE, _LATE, _EARLY = "2025-03-03T14:30:00", "2025-03-03T14:35:00Z", "2025-03-03T14:30:00Z"
_BARS = {"run_id": "{run}", "symbol": "ESM5"}
_PAST_9999 = encode_cursor(["9999-12-31T23:59:59-01:00", "x"])  # in UTC: year 10000
# (request, the parameter the refusal must name)
BAD: list[tuple[Request, str]] = [
    *(
        (Request(r.path, {**r.params, "cursor": cursor}), "cursor")
        for r in PAGED
        for cursor in ("not-a-cursor", "W1tdXQ")  # not base64 JSON; [[]], no key's shape
    ),
    *((Request(r.path, {**r.params, "limit": 0}), "limit") for r in PAGED),
    (Request("/api/v1/runs", {"active_since": _NAIVE}), "active_since"),
    (Request("/api/bars/", {**_BARS, "start_utc": _NAIVE}), "start_utc"),
    (Request("/api/v1/runs/{run}/bars", {"symbol": "ESM5", "end_utc": _NAIVE}), "end_utc"),
    (Request("/api/bars/", {**_BARS, "start_utc": _LATE, "end_utc": _EARLY}), "start_utc"),
    (Request("/api/v1/events", {"from_position": 5, "to_position": 4}), "from_position"),
    (Request("/api/v1/runs", {"sort": "sideways"}), "sort"),
    (Request("/api/v1/runs/{run}", {"min_position": -1}), "min_position"),
    (Request("/api/v1/runs/{run}/events", {"type": "no.such"}), "type"),
    (Request("/api/v1/runs/{run}/trades", {"side": "UP"}), "side"),
    (Request("/api/v1/runs/{run}/bars", {"symbol": "ESM5", "bucket": "fortnight"}), "bucket"),
    (Request("/api/v1/runs/stale", {"silent_for_seconds": 0}), "silent_for_seconds"),
    # Well-formed, but past what the stores can hold (these once were 500s).
    (Request("/api/v1/runs", {"active_since": "0001-01-01T00:00:00+01:00"}), "active_since"),
    (Request("/api/v1/runs", {"sort": "start_utc", "cursor": _PAST_9999}), "cursor"),
    (Request("/api/v1/events", {"cursor": encode_cursor([2**63])}), "cursor"),
    (Request("/api/v1/runs/stale", {"silent_for_seconds": 1e308}), "silent_for_seconds"),
    (Request("/api/metrics/compare", body={"run_ids": []}), "run_ids"),
    (Request("/api/v1/compare", body={"kind": "portfolios", "ids": ["{run}"]}), "kind"),
    (Request("/api/v1/compare", body={"kind": "runs", "ids": ["{run}", "{run}"]}), "ids"),
]
