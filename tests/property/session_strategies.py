"""Hypothesis strategies for realistic event logs: a few runs of one trading session, mixed.

Ids come from small pools so that what exporters really do keeps happening: an order updated
field by field and out of order, fills arriving before their order and re-sent with other
content (now and then for another order, which halts the run), OCO links before their group, bars
re-sent and spelled with several timeframes, a run.started after its run.ended, runs of the
same configuration, and catalog events mixed in at any point. Prices sit on a quarter tick and
fees on exact binary fractions, as on an ES/NQ session. Events are wire dicts, ready for
`tests.integration.log_events.new_event` or `decode_event`.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from schema.doorbell import CATALOG_PARTITION

Wire = dict[str, Any]

RUN_IDS = ("run-a", "run-b", "run-c")
PARTITIONS = (CATALOG_PARTITION, *RUN_IDS)
STRATEGY_IDS = ("Alpha", "Beta")
INSTANCE_IDS = ("I-1", "I-2")
ORDER_IDS = ("1", "2", "3", "4")
# An execution id names one order (9 is never sent: an orphan fill), except T6, which a
# confused client re-sends for another order now and then: a conflict the projector refuses.
ORDER_OF_EXECUTION = {"T1": "1", "T2": "1", "T3": "2", "T4": "3", "T5": "9", "T6": None}
OCO_GROUP_IDS = ("G1", "G2")
SYMBOLS = ("ESM5", "NQM5")
TIMEFRAME_SPELLINGS = ("1 - Minute", "1m", "M1", "5m")
SESSION_START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)

prices = st.integers(22_800, 22_820).map(lambda ticks: ticks / 4)
quantities = st.sampled_from([1.0, 2.0, 3.0])
fees = st.none() | st.sampled_from([0.5, 1.25, 2.5])
parameters = st.sampled_from(
    [None, {}, {"Fast": 10, "Slow": 30}, {"Slow": 30, "Fast": 10}, {"Fast": 5, "Slow": 30}]
)
times = st.integers(0, 600).map(lambda s: (SESSION_START + timedelta(seconds=s)).isoformat())


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Wire]:
    """A dict with any subset of `fields` (a partial update sends only what changed)."""
    return st.fixed_dictionaries({}, optional=fields)


def _event(
    event_type: str, required: Wire, optional: st.SearchStrategy[Wire]
) -> st.SearchStrategy[Wire]:
    return optional.map(lambda extra: {"type": event_type, **required, **extra})


@st.composite
def catalog_events(draw: st.DrawFn) -> Wire:
    """strategy.registered, instance.registered (explicit or derived id), instrument.defined."""
    kind = draw(st.sampled_from(["strategy", "instance", "instrument"]))
    strategy_id = draw(st.sampled_from(STRATEGY_IDS))
    if kind == "strategy":
        return draw(
            _event(
                "strategy.registered",
                {"strategy_id": strategy_id},
                _optional(
                    name=st.sampled_from(["Alpha v1", "Alpha v2"]),
                    notes=st.sampled_from(["demo", "tuned"]),
                    vendor=st.just("ACME"),
                ),
            )
        )
    if kind == "instance":
        return draw(
            _event(
                "instance.registered",
                {"strategy_id": strategy_id},
                _optional(
                    instance_id=st.sampled_from(INSTANCE_IDS),
                    parameters_json=parameters,
                    symbol=st.sampled_from(SYMBOLS),
                    timeframe=st.sampled_from(TIMEFRAME_SPELLINGS),
                    account_id=st.just("SIM-101"),
                    instance_name=st.just("ES scalper"),
                ),
            )
        )
    return draw(
        _event(
            "instrument.defined",
            {"symbol": draw(st.sampled_from(SYMBOLS))},
            _optional(multiplier=st.sampled_from([50.0, 20.0]), tick_size=st.just(0.25)),
        )
    )


@st.composite
def run_events(draw: st.DrawFn, run_id: str) -> Wire:
    """One event of `run_id`: lifecycle, order, fill, OCO, bar or a per-run instrument."""
    base = {"run_id": run_id}
    # Weighted by how often exporters send each kind.
    kinds = ("started", "ended", "heartbeat", "instrument", "oco", "bar", *("order", "fill") * 2)
    kind = draw(st.sampled_from(kinds))
    if kind == "started":
        return draw(
            _event(
                "run.started",
                base,
                _optional(
                    instance_id=st.sampled_from(INSTANCE_IDS),
                    strategy_id=st.sampled_from(STRATEGY_IDS),
                    parameters_json=parameters,
                    run_type=st.sampled_from(["LIVE", "BACKTEST"]),
                    start_utc=times,
                    initial_balance=st.just(100_000.0),
                ),
            )
        )
    if kind == "ended":
        return draw(
            _event(
                "run.ended",
                base,
                _optional(
                    status=st.sampled_from(["COMPLETED", "FAILED"]),
                    end_utc=times,
                    reason=st.just("stopped"),
                ),
            )
        )
    if kind == "heartbeat":
        return {"type": "run.heartbeat", **base, "ts_utc": draw(times)}
    if kind == "order":
        return draw(_order_event(base))
    if kind == "fill":
        execution_id = draw(st.sampled_from(sorted(ORDER_OF_EXECUTION)))
        required = {
            **base,
            "execution_id": execution_id,
            "order_id": ORDER_OF_EXECUTION[execution_id] or draw(st.sampled_from(ORDER_IDS)),
            "exec_utc": draw(times),
            "price": draw(prices),
            "quantity": draw(quantities),
        }
        return draw(
            _event(
                "execution.recorded",
                required,
                _optional(
                    fee=fees,
                    liquidity=st.sampled_from(["MAKER", "TAKER"]),
                    position_impact=st.sampled_from(["OPEN", "CLOSE", "UNKNOWN"]),
                ),
            )
        )
    if kind == "oco":
        group = {**base, "oco_group_id": draw(st.sampled_from(OCO_GROUP_IDS))}
        if draw(st.booleans()):
            return draw(
                _event(
                    "oco.group_created",
                    group,
                    _optional(kind=st.sampled_from(["OCO", "BRACKET"]), created_utc=times),
                )
            )
        link = {**group, "order_id": draw(st.sampled_from(ORDER_IDS))}
        return {"type": "oco.order_linked", **link, "role": draw(st.sampled_from(["TP", "SL"]))}
    if kind == "instrument":
        symbol = draw(st.sampled_from(SYMBOLS))
        return {"type": "instrument.defined", **base, "symbol": symbol, "multiplier": 5.0}
    return draw(_bar(base))


def _order_event(base: Wire) -> st.SearchStrategy[Wire]:
    fields = _optional(
        symbol=st.sampled_from(SYMBOLS),
        account_id=st.just("SIM-101"),
        side=st.sampled_from(["BUY", "SELL"]),
        order_type=st.sampled_from(["MARKET", "LIMIT", "STOP"]),
        quantity=quantities,
        price=prices,
        stop_price=prices,
        position_impact=st.sampled_from(["OPEN", "CLOSE", "UNKNOWN"]),
        submit_utc=times,
        cancel_reason=st.just("OCO"),
    )
    statuses = st.sampled_from(
        ["NEW", "WORKING", "PARTIALLY_FILLED", "FILLED", "CANCELED", "REJECTED", "UNKNOWN"]
    )
    order = st.fixed_dictionaries({"order_id": st.sampled_from(ORDER_IDS), "status": statuses})
    event_type = st.sampled_from(["order.submitted", "order.updated"])
    return st.tuples(event_type, order, fields, times).map(
        lambda t: {
            "type": t[0],
            **base,
            **t[1],
            **t[2],
            **({"update_utc": t[3]} if t[0] == "order.updated" else {}),
        }
    )


def _bar(base: Wire) -> st.SearchStrategy[Wire]:
    def build(values: tuple[str, str, int, float, float, float | None]) -> Wire:
        symbol, timeframe, minute, open_, close, volume = values
        bar: Wire = {
            "type": "bar.closed",
            **base,
            "symbol": symbol,
            "timeframe": timeframe,
            "ts_utc": (SESSION_START + timedelta(minutes=minute)).isoformat(),
            "open": open_,
            "high": max(open_, close) + 0.25,
            "low": min(open_, close) - 0.25,
            "close": close,
        }
        if volume is not None:
            bar["volume"] = volume
        return bar

    return st.tuples(
        st.sampled_from(SYMBOLS),
        st.sampled_from(TIMEFRAME_SPELLINGS),
        st.integers(0, 3),
        prices,
        prices,
        st.none() | st.sampled_from([100.0, 250.0]),
    ).map(build)


any_run_event = st.sampled_from(RUN_IDS).flatmap(run_events)


@st.composite
def sessions(draw: st.DrawFn, max_events: int = 40) -> list[Wire]:
    """A log's worth of events: runs and catalog interleaved, some events sent twice."""
    events = draw(
        st.lists(
            st.one_of(catalog_events(), any_run_event, any_run_event, any_run_event),
            min_size=1,
            max_size=max_events,
        )
    )
    # Clients retry: re-send a few events (identical content) later in the stream.
    resends = draw(st.lists(st.tuples(st.integers(0, len(events) - 1), st.integers(0, 10**6))))
    for index, where in resends[:5]:
        events.insert(index + 1 + where % (len(events) - index), events[index])
    return events


def partition_of_wire(event: Wire) -> str:
    """The partition a wire event is projected in (catalog events carry no run, or a null one)."""
    run_id = event.get("run_id")
    return run_id if isinstance(run_id, str) else CATALOG_PARTITION
