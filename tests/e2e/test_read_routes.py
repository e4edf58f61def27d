"""The read API end to end on a real `stratlog serve`: both recorded exporter sessions posted
through the exporters' paths as the demo posts them, a bracket as canonical OCO events, two
fills ingest refuses; then every read route asked with `min_position` = the last position
ingest answered. Content is checked field by field (tests/e2e/read_checks.py), every list
is walked page by page, unknown ids are 404, bad parameters 422; a new run is read right
after each ingest, and a position the projections cannot reach in time is a 409.

One server serves the module. The one test that writes uses its own run, which the others
never list: lists are filtered by strategy or bounded by the landed head.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from read_api.consistency import POSITION_HEADER
from stratlog.samples import SESSION_NAMES, SessionName
from tests.e2e.landing import Landed, Reader, land
from tests.e2e.read_checks import SESSION_CHECKS, Check
from tests.e2e.read_route_table import BAD, NOT_FOUND, PAGED, ROUTES, UNKNOWN, UNPOSITIONED, Request
from tests.e2e.serving import admin_headers, free_port, stratlog_serve, wait_until_answering
from tests.e2e.test_exporter_sessions import QUANTOWER_RUN

Json = Any
RYW_TIMEOUT_S = 2.0  # STRATLOG_READ_YOUR_WRITES_TIMEOUT_SECONDS: what a 409 costs
RYW_RUN = "e2e-read-your-writes"
INSTANCE = "654EAF46109D0847CC9F7F01D7E47C43"
_LINK = {"type": "oco.order_linked", "run_id": QUANTOWER_RUN, "oco_group_id": "B-1003"}
# The bracket the Quantower session describes only in order fields, as OCO events.
BRACKET = [
    {"type": "oco.group_created", "run_id": QUANTOWER_RUN, "oco_group_id": "B-1003",
     "kind": "BRACKET", "created_utc": "2025-03-03T14:33:10.1234567Z"},
    {**_LINK, "order_id": "1003", "role": "ENTRY", "linked_utc": "2025-03-03T14:33:10Z"},
    {**_LINK, "order_id": "1004", "role": "SL", "linked_utc": "2025-03-03T14:33:20Z"},
    {**_LINK, "order_id": "1005", "role": "TP", "linked_utc": "2025-03-03T14:33:20Z"},
]  # fmt: skip
# The Quantower instance as registered (its timeframe normalised, the text kept).
REGISTERED_INSTANCE = {
    "strategy_id": "StackedImbalance", "instance_name": "StackedImbalance_SIM-101",
    "parameters_json": {"Symbol": "ESM5", "Timeframe": "1 - Minute"}, "symbol": "ESM5",
    "timeframe": "1m", "timeframe_raw": "1 - Minute", "account_id": "SIM-101",
    "venue": "SIM-101", "derived_id": False, "placeholder": False,
}  # fmt: skip
_FILL = {"run_id": QUANTOWER_RUN, "order_id": "1001", "exec_utc": "2025-03-03T14:35:00Z"}
REFUSED_FILLS = [
    {**_FILL, "execution_id": "T-98", "quantity": 1.0},
    {**_FILL, "execution_id": "T-99", "quantity": 1.0, "price": "n/a"},
]


@dataclass(frozen=True)
class Served:
    """The module's server once everything landed, and the ids its routes are asked about."""

    reader: Reader
    landed: Landed
    ids: dict[str, str]  # what read_route_table's {placeholders} stand for

    def ask(self, request: Request, **params: Json) -> Json:
        """The answer (200, position header checked) to `request` with more `params`."""
        asked = request.resolved(self.ids)
        if asked.body is not None:
            return self.reader.post(asked.path, asked.body)
        return self.reader.get(asked.path, **asked.params, **params)

    def send(self, request: Request) -> httpx.Response:
        """The response to `request`, whatever its status (with the landed `min_position`)."""
        asked = request.resolved(self.ids)
        params = {"min_position": self.landed.head, **asked.params}
        method = "GET" if asked.body is None else "POST"
        return self.reader.client.request(method, asked.path, params=params, json=asked.body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    logs = tmp_path_factory.mktemp("read-routes")
    port = free_port()
    env = {"STRATLOG_READ_YOUR_WRITES_TIMEOUT_SECONDS": str(RYW_TIMEOUT_S)}
    args = ("--data-dir", str(logs / "data"), "--port", str(port))
    with (
        stratlog_serve(*args, port=port, logs=logs, env=env) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        wait_until_answering(server, "stratlog serve")
        client.headers.update(admin_headers(logs / "data"))
        landed = asyncio.run(_land(server.url, client.headers))
        landed.record(QUANTOWER_RUN, client.post("/api/v1/events", json=BRACKET).json())
        refused = client.post("/api/ingest/batch/executions", json=REFUSED_FILLS)
        assert (refused.status_code, refused.json()["rejected"]) == (422, 2), refused.text
        reader = Reader(client, landed.head)
        trades = reader.get(f"/api/v1/runs/{QUANTOWER_RUN}/trades")["items"]
        ids = {
            "run": QUANTOWER_RUN,
            "nuget": landed.runs["nuget"],
            "instance": INSTANCE,
            "trade": trades[0]["trade_id"],
            "head": str(landed.head),
        }
        yield Served(reader, landed, ids)
    assert "Traceback" not in server.output()


async def _land(url: str, headers: httpx.Headers) -> Landed:
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as client:
        return await land(client, SESSION_NAMES)


@pytest.mark.parametrize("check", SESSION_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("name", SESSION_NAMES)
def test_each_sessions_run_reads_back_as_it_was_sent(
    served: Served, name: SessionName, check: Check
) -> None:
    check(served.reader, served.landed, name)


def test_the_catalogue_merges_both_registrations_of_the_strategy(served: Served) -> None:
    reader, nuget_run = served.reader, served.landed.runs["nuget"]
    [strategy] = reader.get("/api/strategies/")["items"]
    assert strategy == reader.get("/api/strategies/StackedImbalance")
    assert reader.get("/api/v1/strategies")["items"] == [strategy]
    # NuGet registered it later: its values win, its nulls wipe nothing Quantower sent.
    assert strategy == {
        "strategy_id": "StackedImbalance", "name": "Stacked Imbalance",
        "strategy_version": "2.1.0", "vendor": "acme", "source_ref": None,
        "notes": "acceptance harness session", "extra_json": None, "placeholder": False,
    }  # fmt: skip
    instances = reader.get("/api/strategies/StackedImbalance/instances")["items"]
    assert reader.get("/api/v1/instances", strategy_id="StackedImbalance")["items"] == instances
    [registered] = [i for i in instances if i["instance_id"] == INSTANCE]
    [derived] = [i for i in instances if i["instance_id"] != INSTANCE]
    assert reader.get(f"/api/v1/instances/{INSTANCE}") == registered
    assert {k: registered[k] for k in REGISTERED_INSTANCE} == REGISTERED_INSTANCE
    run = reader.get(f"/api/runs/{nuget_run}")
    assert (derived["derived_id"], derived["instance_id"]) == (True, run["instance_id"])
    assert derived["parameters_json"] == run["parameters_json"]
    for instance, run_id in ((INSTANCE, QUANTOWER_RUN), (derived["instance_id"], nuget_run)):
        runs = reader.get(f"/api/runs/instance/{instance}")["items"]
        assert [r["run_id"] for r in runs] == [run_id]


def test_instance_and_strategy_metrics_hold_their_runs_together(served: Served) -> None:
    reader = served.reader
    per_run = [
        reader.get(f"/api/v1/runs/{run_id}/metrics") for run_id in served.landed.runs.values()
    ]
    [quantower] = [m for m in per_run if m["run_id"] == QUANTOWER_RUN]
    instance = reader.get(f"/api/v1/instances/{INSTANCE}/metrics")  # its only run
    assert (instance["runs"], instance["metrics"]) == (1, quantower["metrics"])
    strategy = reader.get("/api/v1/strategies/StackedImbalance/metrics")
    assert (strategy["runs"], strategy["trades"], strategy["wins"]) == (
        2,
        sum(m["trades"] for m in per_run),
        sum(m["wins"] for m in per_run),
    )
    assert strategy["net_pnl"] == pytest.approx(sum(m["net_pnl"] for m in per_run))
    assert strategy["fees"] == pytest.approx(sum(m["fees"] for m in per_run))


def test_compare_sets_runs_side_by_side_in_the_order_asked(served: Served) -> None:
    reader, nuget_run = served.reader, served.landed.runs["nuget"]
    order = [nuget_run, QUANTOWER_RUN]
    per_run = [reader.get(f"/api/v1/runs/{run_id}/metrics") for run_id in order]
    assert reader.post("/api/metrics/compare", {"run_ids": order}) == per_run
    compared = reader.post("/api/v1/compare", {"kind": "runs", "ids": order, "points": 5})
    assert (compared["kind"], compared["rows"]) == ("runs", per_run)
    curves = compared["curves"]
    assert len(curves["x"]) == 5
    assert [(s["id"], s["initial_balance"]) for s in curves["series"]] == [
        (nuget_run, 0.0),
        (QUANTOWER_RUN, 100000.0),
    ]
    by_strategy = reader.post(
        "/api/v1/compare", {"kind": "strategies", "ids": ["StackedImbalance"]}
    )
    assert [row["runs"] for row in by_strategy["rows"]] == [2]


def test_the_bracket_reads_back_with_its_legs_and_names_the_exit(served: Served) -> None:
    reader = served.reader
    [group] = reader.get(f"/api/v1/runs/{QUANTOWER_RUN}/oco-groups")["items"]
    assert (group["oco_group_id"], group["kind"], group["placeholder"]) == (
        "B-1003",
        "BRACKET",
        False,
    )
    legs = [(leg["order_id"], leg["role"], leg["order_status"]) for leg in group["legs"]]
    assert sorted(legs) == [("1003", "ENTRY", "FILLED"), ("1004", "SL", "WORKING"),
                            ("1005", "TP", "FILLED")]  # fmt: skip
    trades = reader.get(f"/api/v1/runs/{QUANTOWER_RUN}/trades")["items"]
    assert [t["exit_reason"] for t in trades] == [None, "TP"]  # closed by the take-profit


def test_diagnostics_list_the_refused_fills_and_no_orphan(served: Served) -> None:
    reader = served.reader
    refused = reader.get("/api/v1/quarantine")["items"]
    assert [(q["item_index"], q["source"], q["run_id"], q["status"]) for q in refused] == [
        (index, "/api/ingest/batch/executions", QUANTOWER_RUN, "OPEN") for index in (0, 1)
    ]
    assert [orjson.loads(q["raw"]) for q in refused] == REFUSED_FILLS
    assert [[e["field"] for e in q["errors"]] for q in refused] == [["price"], ["price"]]
    orphans = reader.get("/api/v1/orphans")
    assert {kind: group["count"] for kind, group in orphans.items()} == dict.fromkeys(
        ("orders", "runs", "oco_groups", "instances", "strategies"), 0
    )  # the take-profit fill came before its order, which then arrived
    assert reader.get("/api/v1/runs/stale")["items"] == []  # both runs ended


def test_the_log_holds_every_landed_position_once_in_order(served: Served) -> None:
    head = served.landed.head
    events = served.reader.get("/api/v1/events", to_position=head, limit=1000)["items"]
    landed = sorted(p for positions in served.landed.by_run.values() for p in positions)
    assert [e["position"] for e in events] == landed
    catalog = [e["type"] for e in events if e["run_id"] is None]
    assert catalog == ["strategy.registered", "instance.registered", "strategy.registered"]


def test_every_read_route_is_asked_here(served: Served) -> None:
    document = served.reader.client.get("/openapi.json").json()
    assert set(document["paths"]) == {*ROUTES, *UNPOSITIONED}


@pytest.mark.parametrize("route", ROUTES)
def test_every_read_route_answers_with_the_position_it_reflects(served: Served, route: str) -> None:
    served.ask(ROUTES[route])  # 200, X-Projection-Position >= the landed head


@pytest.mark.parametrize("request_", PAGED, ids=str)
def test_walking_a_list_page_by_page_gives_every_item_exactly_once(
    served: Served, request_: Request
) -> None:
    whole = served.ask(request_)
    assert whole["next_cursor"] is None
    assert len(whole["items"]) >= 2
    limit = max(1, len(whole["items"]) // 3)
    pages: list[list[Json]] = []
    after: dict[str, str] = {}
    while len(pages) <= len(whole["items"]):  # cursors that never end fail the checks below
        page = served.ask(request_, limit=limit, **after)
        pages.append(page["items"])
        if page["next_cursor"] is None:
            break
        after = {"cursor": page["next_cursor"]}
    walked = [item for page in pages for item in page]
    assert len(pages) >= 2
    assert all(1 <= len(page) <= limit for page in pages)
    assert len({orjson.dumps(item, option=orjson.OPT_SORT_KEYS) for item in walked}) == len(walked)
    assert walked == whole["items"]


@pytest.mark.parametrize("request_", NOT_FOUND, ids=str)
def test_an_unknown_id_is_a_404_naming_it(served: Served, request_: Request) -> None:
    response = served.send(request_)
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert UNKNOWN in error["message"]


@pytest.mark.parametrize(("request_", "parameter"), BAD, ids=lambda bad: str(bad))
def test_a_bad_parameter_is_a_422_naming_it(
    served: Served, request_: Request, parameter: str
) -> None:
    response = served.send(request_)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert parameter in error["message"]


def test_min_position_right_after_each_ingest_returns_the_new_data(served: Served) -> None:
    client, new = served.reader.client, Landed()
    start = {"run_id": RYW_RUN, "run_type": "BACKTEST", "start_utc": "2025-03-04T10:00:00Z"}
    new.record(RYW_RUN, client.post("/api/ingest/event/run_start", json=start).json())
    entry = client.post("/api/ingest/stream", json=_trade_leg("1", "BUY", 100.0))
    opened = Reader(client, max(new.record(RYW_RUN, entry.json())))
    positions = opened.get(f"/api/v1/runs/{RYW_RUN}/open-positions")["items"]
    assert [(p["side"], p["quantity"], p["entry_price"]) for p in positions] == [
        ("LONG", 1.0, 100.0)
    ]

    exit_ = client.post("/api/ingest/stream", json=_trade_leg("2", "SELL", 104.0))
    closed = Reader(client, max(new.record(RYW_RUN, exit_.json())))
    trades = closed.get(f"/api/runs/{RYW_RUN}/trades")["items"]
    assert [(t["side"], t["entry_price"], t["exit_price"], t["pnl_net"]) for t in trades] == [
        ("LONG", 100.0, 104.0, (104.0 - 100.0) - 2 * 0.5)
    ]
    assert closed.get(f"/api/v1/runs/{RYW_RUN}/open-positions")["items"] == []
    assert closed.get(f"/api/v1/runs/{RYW_RUN}/metrics")["trades"] == 1


def _trade_leg(order_id: str, side: str, price: float) -> dict[str, Json]:
    """An exporter's stream call: a filled market order of 1 ESM5 and its fill."""
    at = f"2025-03-04T10:0{order_id}:00Z"
    order = {"run_id": RYW_RUN, "order_id": order_id, "symbol": "ESM5", "account_id": "A",
             "side": side, "order_type": "MARKET", "quantity": 1.0, "submit_utc": at}  # fmt: skip
    fill = {"run_id": RYW_RUN, "execution_id": f"F-{order_id}", "order_id": order_id,
            "exec_utc": at, "price": price, "quantity": 1.0, "fee": 0.5}  # fmt: skip
    return {"orders": [order], "executions": [fill]}


@pytest.mark.parametrize("path", [f"/api/runs/{QUANTOWER_RUN}/trades", "/api/v1/events"])
def test_a_min_position_beyond_the_head_is_a_409_with_the_position_reached(
    served: Served, path: str
) -> None:
    far = served.landed.head + 1_000_000
    response = served.reader.client.get(path, params={"min_position": far})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert (error["code"], error["min_position"]) == ("not_yet_projected", far)
    assert served.landed.head <= error["position"] < far
    assert int(response.headers[POSITION_HEADER]) == error["position"]
