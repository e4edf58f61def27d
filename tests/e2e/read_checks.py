"""What each recorded exporter session must read back as through the read API, route by
route: shared by the end-to-end read tests on `stratlog serve` and on the Procfile's
processes, which land the sessions and read with `min_position` (tests/e2e/landing.py).

Each check compares a route's answer field by field with what the session sent (`sent`,
legacy field names renamed) or, for reconstructed trades, with figures worked out by hand
from the session's fills (docs/metrics.md).
"""

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from stratlog.samples import SessionName, load_session
from tests.e2e.landing import Landed, Reader
from tests.e2e.test_exporter_sessions import EXPECTED_TYPES

Json = Any
Section = Literal["orders", "executions", "bars"]
CATALOG_TYPES = {"strategy.registered", "instance.registered"}
LEGACY_NAMES = {
    "submit_time": "submit_utc",
    "exec_time": "exec_utc",
    "liquidity_flag": "liquidity",
    "timestamp": "ts_utc",
    "end_time": "end_utc",
}
ORDER_FIELDS = (
    "strategy_id", "parent_order_id", "symbol", "account_id", "side", "order_type",
    "time_in_force", "quantity", "price", "stop_price", "client_tag",
)  # fmt: skip
# The fields an order event knows; an exporter's other fields are folded into extra_json.
ORDER_KNOWN = {*ORDER_FIELDS, "run_id", "order_id", "status", "submit_utc", "position_impact"}
ORDER_KNOWN |= {"extra_json"}
DASHBOARD_TRADE_FIELDS = (
    "trade_id", "symbol", "side", "entry_time", "exit_time", "entry_price", "exit_price",
    "quantity", "pnl_net", "mae", "mfe", "duration_seconds", "regime_trend", "regime_volatility",
)  # fmt: skip

# Worked from the fills (docs/metrics.md §trades): prices are averages, quantity the peak,
# pnl_net after every fee of the cycle; MFE/MAE from the cycle's own fill prices, since no
# bar lies wholly inside these trades; regimes need 21+ closes, the sessions have 5 or 6.
_SCALED_IN_LONG = {
    "symbol": "ESM5", "side": "LONG", "quantity": 2.0,
    "entry_time": "2025-03-03T14:30:05.123456Z", "exit_time": "2025-03-03T14:31:42Z",
    "entry_price": (5701.75 + 5702.0) / 2, "exit_price": 5706.0,
    "pnl_net": (5706.0 - 5701.875) * 2 - (1.25 + 1.25 + 2.5),
    "mfe": (5706.0 - 5701.875) * 2, "mae": (5701.875 - 5701.75) * 2,
    "duration_seconds": 96.876544, "regime_trend": None, "regime_volatility": None,
}  # fmt: skip
EXPECTED_TRADES: dict[SessionName, list[dict[str, Json]]] = {
    "quantower": [
        _SCALED_IN_LONG,
        {
            **_SCALED_IN_LONG, "side": "SHORT", "quantity": 1.0,
            "entry_time": "2025-03-03T14:33:41.5Z", "exit_time": "2025-03-03T14:34:30Z",
            "entry_price": 5703.0, "exit_price": 5701.0,
            "pnl_net": (5703.0 - 5701.0) - 1.25,  # the take-profit fill sent a null fee
            "mfe": 5703.0 - 5701.0, "mae": 0.0, "duration_seconds": 48.5,
        },
    ],
    "nuget": [
        _SCALED_IN_LONG,
        {
            **_SCALED_IN_LONG, "quantity": 1.0,
            "entry_time": "2025-03-03T14:33:12.5Z", "exit_time": "2025-03-03T14:34:31Z",
            "entry_price": 5703.0, "exit_price": 5701.5,
            "pnl_net": (5701.5 - 5703.0) - (1.25 + 1.25),
            "mfe": 0.0, "mae": 5703.0 - 5701.5, "duration_seconds": 78.5,
        },
    ],
}  # fmt: skip
# What each run start sent (the NuGet client names no instance: one is derived).
RUN_FIELDS: dict[SessionName, dict[str, Json]] = {
    "quantower": {
        "instance_id": "654EAF46109D0847CC9F7F01D7E47C43", "run_type": "LIVE",
        "engine_version": "0.1.0", "initial_balance": 100000.0, "base_currency": "USD",
    },
    "nuget": {
        "run_type": None, "initial_balance": None,
        "parameters_json": {"Symbol": "ESM5", "FastPeriod": 10, "SlowPeriod": 30,
                            "RiskPerTrade": 0.5},
    },
}  # fmt: skip
# An order changed by more than one call, or first seen in a later state.
ORDER_HISTORY: dict[SessionName, tuple[str, list[tuple[str, str]]]] = {
    "quantower": ("1004", [("order.updated", "WORKING")]),
    "nuget": ("1003", [("order.submitted", "NEW"), ("order.updated", "FILLED")]),
}


def utc(text: str) -> datetime:
    """A sent or served time as an aware UTC datetime (no offset means UTC)."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def utc_or_none(text: str | None) -> datetime | None:
    return None if text is None else utc(text)


def sent(name: SessionName, section: Section) -> list[dict[str, Json]]:
    """The session's items of one kind in the order sent, legacy field names renamed."""
    items: list[dict[str, Json]] = []
    for call in load_session(name):
        if call.path == f"/api/ingest/batch/{section}":
            items.extend(call.body)
        elif call.path == "/api/ingest/stream":
            items.extend(call.body.get(section, []))
        elif call.path == f"/api/ingest/event/{section.removesuffix('s')}":
            items.append(call.body)
    return [{LEGACY_NAMES.get(k, k): v for k, v in item.items()} for item in items]


def sent_orders(name: SessionName) -> dict[str, dict[str, Json]]:
    """Each order's fields merged over the calls: a later non-null value wins."""
    orders: dict[str, dict[str, Json]] = {}
    for item in sent(name, "orders"):
        known = {k: v for k, v in item.items() if v is not None}
        orders[item["order_id"]] = {**orders.get(item["order_id"], {}), **known}
    return orders


def _json(value: Json) -> Json:
    return json.loads(value) if isinstance(value, str) else value


def check_run(reader: Reader, landed: Landed, name: SessionName) -> None:
    run_id = landed.runs[name]
    run = reader.get(f"/api/runs/{run_id}")
    assert run == reader.get(f"/api/v1/runs/{run_id}")
    assert {k: run[k] for k in RUN_FIELDS[name]} == RUN_FIELDS[name]
    assert (run["run_id"], run["strategy_id"], run["status"]) == (
        run_id,
        "StackedImbalance",
        "COMPLETED",
    )
    assert utc(run["start_utc"]) == utc("2025-01-01T09:59:00Z")
    assert run["event_count"] == len(landed.by_run[run_id])
    assert run["placeholder"] is False
    assert run["metrics"]["trades"] == len(EXPECTED_TRADES[name])


def check_orders(reader: Reader, landed: Landed, name: SessionName) -> None:
    served = reader.get(f"/api/v1/runs/{landed.runs[name]}/orders")["items"]
    orders, fills = sent_orders(name), sent(name, "executions")
    assert [o["order_id"] for o in served] == sorted(orders)
    for got in served:
        order = orders[got["order_id"]]
        assert {k: got[k] for k in ORDER_FIELDS} == {k: order.get(k) for k in ORDER_FIELDS}
        assert utc(got["submit_utc"]) == utc(order["submit_utc"])
        folded = {k: v for k, v in order.items() if k not in ORDER_KNOWN}  # a newer field
        assert got["extra_json"] == ({**folded, **(_json(order.get("extra_json")) or {})} or None)
        own = [f for f in fills if f["order_id"] == got["order_id"]]
        filled = sum(f["quantity"] for f in own)
        assert (got["filled_quantity"], got["fill_count"]) == (filled, len(own))
        assert got["fees"] == pytest.approx(sum(f.get("fee") or 0.0 for f in own))
        notional = sum(f["price"] * f["quantity"] for f in own)
        assert got["avg_fill_price"] == (pytest.approx(notional / filled) if own else None)
        # Exporters send the first status they saw; fills that cover the order prove FILLED.
        assert got["status"] == ("FILLED" if filled >= order["quantity"] else order["status"])


def check_order_history(reader: Reader, landed: Landed, name: SessionName) -> None:
    order_id, changes = ORDER_HISTORY[name]
    run_id = landed.runs[name]
    history = reader.get(f"/api/v1/runs/{run_id}/orders/{order_id}/history")
    items = history["items"]
    assert [(i["event_type"], i["status"]) for i in items] == changes
    positions = [i["position"] for i in items]
    assert positions == sorted(positions)
    assert set(positions) <= set(landed.by_run[run_id])


def check_executions(reader: Reader, landed: Landed, name: SessionName) -> None:
    run_id = landed.runs[name]
    served = reader.get(f"/api/executions/run/{run_id}")["items"]
    assert served == reader.get(f"/api/v1/runs/{run_id}/executions")["items"]
    fills = sorted(sent(name, "executions"), key=lambda fill: utc(fill["exec_utc"]))
    orders = sent_orders(name)
    assert [e["execution_id"] for e in served] == [f["execution_id"] for f in fills]
    own = ("order_id", "price", "quantity", "fee", "fee_currency", "liquidity", "position_impact")
    for got, fill in zip(served, fills, strict=True):
        assert {k: got[k] for k in own} == {k: fill.get(k) for k in own}
        assert utc(got["exec_utc"]) == utc(fill["exec_utc"])
        order = orders[fill["order_id"]]  # fills carry no side or symbol: the order's
        completed = ("side", "symbol", "account_id")
        assert {k: got[k] for k in completed} == {k: order[k] for k in completed}


def check_bars(reader: Reader, landed: Landed, name: SessionName) -> None:
    run_id = landed.runs[name]
    served = reader.get("/api/bars/", run_id=run_id, symbol="ESM5")["items"]
    assert served == reader.get(f"/api/v1/runs/{run_id}/bars", symbol="ESM5")["items"]
    bars = sorted(sent(name, "bars"), key=lambda bar: utc(bar["ts_utc"]))
    assert len(served) == len(bars)
    prices = ("open", "high", "low", "close", "volume", "open_interest")
    for got, bar in zip(served, bars, strict=True):
        assert utc(got["ts_utc"]) == utc(bar["ts_utc"])
        assert utc_or_none(got["end_utc"]) == utc_or_none(bar.get("end_utc"))
        assert {k: got[k] for k in prices} == {k: bar.get(k) for k in prices}
        assert got["volumetric_json"] == _json(bar.get("volumetric_json"))
        assert (got["symbol"], got["timeframe"]) == ("ESM5", "1m")  # "1 - Minute" normalised
        assert (got["venue"], got["provider"]) == (bar.get("venue", ""), bar.get("provider", ""))


def check_trades(reader: Reader, landed: Landed, name: SessionName) -> None:
    run_id = landed.runs[name]
    served = reader.get(f"/api/runs/{run_id}/trades")["items"]
    expected = EXPECTED_TRADES[name]
    assert len(served) == len(expected)
    for got, trade in zip(served, expected, strict=True):
        assert set(DASHBOARD_TRADE_FIELDS) <= got.keys()
        for key, value in trade.items():
            if key.endswith("_time"):
                assert utc(got[key]) == utc(value), key
            else:
                assert got[key] == (pytest.approx(value) if isinstance(value, float) else value)
        matches = reader.get(f"/api/v1/runs/{run_id}/trades/{got['trade_id']}/matches")["items"]
        assert sum(m["pnl_net"] for m in matches) == pytest.approx(got["pnl_net"])
        assert sum(m["quantity"] for m in matches) == pytest.approx(got["entered_quantity"])
    v1 = reader.get(f"/api/v1/runs/{run_id}/trades")["items"]
    dashboard_only = {"entry_time", "exit_time"}
    assert v1 == [{k: v for k, v in t.items() if k not in dashboard_only} for t in served]
    assert reader.get(f"/api/v1/runs/{run_id}/open-positions")["items"] == []


def check_metrics(reader: Reader, landed: Landed, name: SessionName) -> None:
    run_id = landed.runs[name]
    metrics = reader.get(f"/api/v1/runs/{run_id}/metrics")
    nets = [t["pnl_net"] for t in EXPECTED_TRADES[name]]
    fees = sum(f.get("fee") or 0.0 for f in sent(name, "executions"))
    assert metrics["run_id"] == run_id
    assert (metrics["trades"], metrics["wins"], metrics["losses"], metrics["open_positions"]) == (
        len(nets),
        sum(n > 0 for n in nets),
        sum(n < 0 for n in nets),
        0,
    )
    assert metrics["metrics"]["trades"]["trades"] == len(nets)
    assert (metrics["net_pnl"], metrics["fees"]) == (pytest.approx(sum(nets)), pytest.approx(fees))
    assert metrics["gross_pnl"] == pytest.approx(sum(nets) + fees)
    headline = reader.get(f"/api/runs/{run_id}")["metrics"]
    assert headline == {k: metrics[k] for k in headline}
    equity = reader.get(f"/api/v1/runs/{run_id}/equity")
    start = RUN_FIELDS[name]["initial_balance"] or 0.0  # no balance: the curve is the PnL
    curve = [point["equity"] for point in equity["items"]]
    assert (curve[0], curve[-1]) == (start, pytest.approx(start + sum(nets)))
    assert max(p["drawdown"] for p in equity["items"]) == pytest.approx(metrics["max_drawdown"])
    [compared] = reader.post("/api/metrics/compare", {"run_ids": [run_id]})
    assert compared == metrics


def check_raw_events(reader: Reader, landed: Landed, name: SessionName) -> None:
    run_id = landed.runs[name]
    events = reader.get(f"/api/v1/runs/{run_id}/events", limit=1000)["items"]
    assert [e["position"] for e in events] == sorted(landed.by_run[run_id])
    assert all((e["run_id"], e["event"]["run_id"]) == (run_id, run_id) for e in events)
    assert all(e["type"] == e["event"]["type"] for e in events)
    from_session = [e for e in events if e["position"] in landed.session_positions[name]]
    expected = EXPECTED_TYPES[name] - Counter(dict.fromkeys(CATALOG_TYPES, 1))
    assert Counter(e["type"] for e in from_session) == expected
    fills = [e["event"]["execution_id"] for e in events if e["type"] == "execution.recorded"]
    assert fills == [f["execution_id"] for f in sent(name, "executions")]  # in the order sent


Check = Callable[[Reader, Landed, SessionName], None]
SESSION_CHECKS: list[Check] = [
    check_run,
    check_orders,
    check_order_history,
    check_executions,
    check_bars,
    check_trades,
    check_metrics,
    check_raw_events,
]
