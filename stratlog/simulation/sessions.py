"""Whole sessions: strategies, instances and several runs at once, streamed as canonical events.

`generate_sessions(seed, runs, events_per_run)` yields what exporters would post to
`POST /api/v1/events` while `runs` strategy runs trade at the same time (or `concurrent` at
a time, the next starting when one ends): first the catalog (strategies, instances,
instrument definitions), then every run's events interleaved minute by minute on one shared
market (each run's start, its bars, orders, fills, brackets and heartbeats, its end). A run
trades until it has told about `events_per_run` events (or `minutes` minutes), then winds
down: no new entries, working entries cancelled, positions flattened, and it ends. Each
run's events pass through `Arrival`, so some arrive out of order the way real exporters send
them.

Everything is drawn from generators seeded from `seed` (and the run's index), so the same
arguments always give the same events, byte for byte. Nothing is kept per event: memory is
the few open orders of each run and a bounded arrival buffer, whatever the session's size.
Every payload is already canonical (`schema.codec.encode_event(decode_event(e))` equals its
sorted-key JSON); ids are left to the server, which derives them from content and time.
"""

import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stratlog.simulation.arrival import Arrival
from stratlog.simulation.clock import MINUTE_MS, SECOND_MS, ms_of, utc_text
from stratlog.simulation.market import UNIVERSE, Instrument, Market
from stratlog.simulation.strategy import SymbolTrader, Trading
from stratlog.simulation.tape import Event, Tape

START = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)
STRATEGIES = ("sim-breakout", "sim-mean-reversion", "sim-momentum")
_RUN_TYPES = ("LIVE", "PAPER", "BACKTEST")
_HEARTBEAT_MINUTES = 5


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run: who trades what, how much, and when it stops."""

    run_id: str
    instance_id: str
    strategy_id: str
    account_id: str
    symbols: tuple[str, ...]
    run_type: str = "PAPER"
    seed: str = "0"
    events: int | None = 2_000  # wind down once about this many events are told
    minutes: int | None = None  # or after this many minutes (whichever comes first)
    trading: Trading = field(default_factory=Trading)
    disorder: float = 0.1  # chance that an event which can arrive late does (arrival.py)
    initial_balance: float = 100_000.0


def instruments_of(symbols: Sequence[str]) -> list[Instrument]:
    by_symbol = {i.symbol: i for i in UNIVERSE}
    return [by_symbol[s] for s in symbols]


def plan_runs(
    seed: int,
    runs: int,
    events_per_run: int | None,
    *,
    minutes: int | None = None,
    symbols_per_run: int = 2,
    trading: Trading | None = None,
    disorder: float = 0.1,
    prefix: str = "sim",
) -> list[RunSpec]:
    """The runs `generate_sessions` simulates: instances take turns over the strategies and
    the universe's symbols; run types alternate LIVE, PAPER, BACKTEST."""
    specs = []
    for index in range(runs):
        instance = index % max(1, (runs + 1) // 2)  # about two runs per instance
        symbols = tuple(
            UNIVERSE[(instance + k) % len(UNIVERSE)].symbol
            for k in range(min(symbols_per_run, len(UNIVERSE)))
        )
        specs.append(
            RunSpec(
                run_id=f"{prefix}-{seed}-run-{index + 1:03d}",
                instance_id=f"{prefix}-{seed}-instance-{instance + 1:02d}",
                strategy_id=STRATEGIES[instance % len(STRATEGIES)],
                account_id=f"SIM-{101 + instance}",
                symbols=symbols,
                run_type=_RUN_TYPES[index % len(_RUN_TYPES)],
                seed=f"{seed}:{index}",
                events=events_per_run,
                minutes=minutes,
                trading=trading or Trading(),
                disorder=disorder,
            )
        )
    return specs


def catalog_events(specs: Sequence[RunSpec]) -> Iterator[Event]:
    """Strategies, instances and instrument definitions the runs refer to, each once."""
    strategies = dict.fromkeys(s.strategy_id for s in specs)
    for strategy_id in strategies:
        yield {
            "type": "strategy.registered",
            "version": 1,
            "strategy_id": strategy_id,
            "name": strategy_id.removeprefix("sim-").replace("-", " ").title(),
            "strategy_version": "1.0",
            "vendor": "stratlog simulation",
        }
    instances = {s.instance_id: s for s in specs}
    for instance_id, spec in instances.items():
        yield {
            "type": "instance.registered",
            "version": 1,
            "instance_id": instance_id,
            "strategy_id": spec.strategy_id,
            "symbols_json": list(spec.symbols),
            "symbol": spec.symbols[0],
            "timeframe": "1m",
            "account_id": spec.account_id,
            "venue": "SIM",
            "parameters_json": _parameters(spec),
        }
    symbols = dict.fromkeys(symbol for spec in specs for symbol in spec.symbols)
    for instrument in instruments_of(list(symbols)):
        yield {
            "type": "instrument.defined",
            "version": 1,
            "symbol": instrument.symbol,
            "multiplier": instrument.multiplier,
            "tick_size": instrument.tick,
            "currency": "USD",
            "asset_class": "FUTURE",
        }


def _parameters(spec: RunSpec) -> dict[str, Any]:
    trading = spec.trading
    return {
        "entry_chance": trading.entry_chance,
        "take_profit_ticks": list(trading.take_profit_ticks),
        "stop_loss_ticks": list(trading.stop_loss_ticks),
        "timeframe": "1m",
    }


class RunSimulation:
    """One run, a minute at a time: `minute()` gives the events that arrived during it."""

    def __init__(self, spec: RunSpec, market: Market, start_ms: int) -> None:
        self.spec = spec
        self._market = market
        rng = random.Random(f"run:{spec.seed}")
        self._tape = Tape(spec.run_id, spec.account_id)
        self._traders = [
            SymbolTrader(instrument, self._tape, rng, spec.trading)
            for instrument in instruments_of(spec.symbols)
        ]
        self._arrival = Arrival(random.Random(f"arrival:{spec.seed}"), spec.disorder)
        self._start_ms = start_ms
        self._minute = 0
        self.told = 0
        self.finished = False
        self._tape.event(start_ms - 30 * SECOND_MS, "run.started", **self._start_fields())

    def minute(self) -> list[Event]:
        """Simulate the next minute; the events delivered in it (the last minute: the end)."""
        spec, start = self.spec, self._start_ms + self._minute * MINUTE_MS
        winding_down = (spec.events is not None and self.told >= spec.events) or (
            spec.minutes is not None and self._minute >= spec.minutes
        )
        bars = self._market.bars(start)
        for trader in self._traders:
            bar = bars[trader.instrument.symbol]
            trader.on_bar(bar, winding_down)
            self._tape.bar(trader.instrument, bar)
        end = start + MINUTE_MS
        self._minute += 1
        if spec.run_type != "BACKTEST" and self._minute % _HEARTBEAT_MINUTES == 0:
            self._tape.event(end, "run.heartbeat", ts_utc=utc_text(end))
        told = self._tape.take_until(end + 1)
        ended: Event | None = None
        if winding_down and all(trader.done for trader in self._traders):
            told += self._tape.take_until(2**62)
            ended = {
                "type": "run.ended",
                "version": 1,
                "run_id": spec.run_id,
                "status": "COMPLETED",
                "end_utc": utc_text(end + 2 * SECOND_MS),
                "reason": "session end",
            }
        delivered = self._arrival.deliver(told)
        self.told += len(told)
        if ended is not None:  # every buffer flushes before the run's end is sent
            delivered += [*self._arrival.flush(), ended]
            self.told += 1
            self.finished = True
        return delivered

    def _start_fields(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "instance_id": spec.instance_id,
            "strategy_id": spec.strategy_id,
            "run_type": spec.run_type,
            "status": "RUNNING",
            "start_utc": utc_text(self._start_ms - 30 * SECOND_MS),
            "initial_balance": spec.initial_balance,
            "base_currency": "USD",
            "data_source": "simulation",
            "parameters_json": _parameters(spec),
        }


def simulate_runs(
    specs: Sequence[RunSpec],
    *,
    seed: int | str = 0,
    start: datetime = START,
    concurrent: int | None = None,
) -> Iterator[Event]:
    """The runs' events interleaved minute by minute on one market (no catalog): at most
    `concurrent` at a time (all by default), the next one starting when one ends."""
    instruments = instruments_of(list(dict.fromkeys(s for spec in specs for s in spec.symbols)))
    market = Market(instruments, random.Random(f"market:{seed}"))
    waiting, active = deque(specs), list[RunSimulation]()
    minute_ms, limit = ms_of(start), concurrent or len(specs)
    while waiting or active:
        while waiting and len(active) < limit:
            active.append(RunSimulation(waiting.popleft(), market, minute_ms))
        for run in active:
            yield from run.minute()
        active = [run for run in active if not run.finished]
        minute_ms += MINUTE_MS


def generate_sessions(
    seed: int,
    runs: int = 4,
    events_per_run: int | None = 2_000,
    *,
    minutes: int | None = None,
    symbols_per_run: int = 2,
    trading: Trading | None = None,
    disorder: float = 0.1,
    start: datetime = START,
    prefix: str = "sim",
    concurrent: int | None = None,
) -> Iterator[Event]:
    """Catalog events, then `runs` runs trading at once, or `concurrent` at a time (see the
    module docstring)."""
    if events_per_run is None and minutes is None:
        raise ValueError("give events_per_run or minutes: a run must end")
    specs = plan_runs(
        seed,
        runs,
        events_per_run,
        minutes=minutes,
        symbols_per_run=symbols_per_run,
        trading=trading,
        disorder=disorder,
        prefix=prefix,
    )
    yield from catalog_events(specs)
    yield from simulate_runs(specs, seed=seed, start=start, concurrent=concurrent)
