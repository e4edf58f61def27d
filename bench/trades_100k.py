"""Time trade reconstruction and run metrics on a synthetic run: 100k fills, 500k bars.

The run: two symbols (multipliers 50 and 20) with 250k one-minute bars each (a random walk),
two accounts, fills drawn as intents (add, reduce, close, flip) with partial fills of one
order, a quarter of the closing orders linked TP/SL, one order per two fills. Deterministic
(seeded). Phases timed separately, each the median of `--repetitions` passes: indexing the
bars, reconstruction, the equity curve, the metrics, and `report_run` end to end. The
baseline, measured in the same run, is one plain Python pass touching every fill and bar
once (sum of quantity x price, sum of closes): the figures are also given as its multiple.

    .venv/bin/python -m bench.trades_100k [--fills N] [--bars N] [--repetitions N]
"""

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from projector.metrics import OrderFact, RunFacts, build_equity_curve, report_run, run_metrics
from projector.metrics.inputs import MetricsInputs
from projector.trades import Bar, Fill, Reconstruction, RunInputs, build_context, extend
from schema.enums import OcoRole, OrderStatus, OrderType, Side

T0 = datetime(2025, 1, 6, tzinfo=UTC)
SYMBOLS = {"ES": 50.0, "NQ": 20.0}
ACCOUNTS = ("A", "B")
T = TypeVar("T")


@dataclass(frozen=True)
class Synthetic:
    inputs: RunInputs
    facts: RunFacts


def _bars(rng: random.Random, count: int) -> list[Bar]:
    bars, price = [], 5000.0
    for i in range(count):
        close = round(price + rng.gauss(0, 1.5), 2)
        high, low = max(price, close) + rng.random(), min(price, close) - rng.random()
        bars.append(Bar(T0 + timedelta(minutes=i), price, high, low, close))
        price = close
    return bars


def synthetic_run(fill_count: int, bar_count: int, seed: int = 7) -> Synthetic:
    """A deterministic run of about `fill_count` fills and `bar_count` bars."""
    rng = random.Random(seed)
    per_symbol = bar_count // len(SYMBOLS)
    bars = {symbol: _bars(rng, per_symbol) for symbol in SYMBOLS}
    span = timedelta(minutes=per_symbol)
    times = sorted(T0 + span * rng.random() for _ in range(fill_count))
    held: dict[tuple[str, str], int] = {}
    fills: list[Fill] = []
    orders: list[OrderFact] = []
    roles: dict[str, OcoRole] = {}
    for index, moment in enumerate(times):
        symbol, account = rng.choice(list(SYMBOLS)), rng.choice(ACCOUNTS)
        position = held.get((account, symbol), 0)
        action = rng.choice(("add", "add", "reduce", "close", "close", "flip"))
        size = rng.randint(1, 5)
        if position == 0 or action == "add":
            buying = rng.random() < 0.5 if position == 0 else position > 0
            quantity = size
        else:
            buying, size_held = position < 0, abs(position)
            quantity = {"reduce": max(1, size_held // 2), "close": size_held}.get(
                action, size_held + size
            )
        held[account, symbol] = position + (quantity if buying else -quantity)
        minute = int((moment - T0) / timedelta(minutes=1))
        price = bars[symbol][min(minute, per_symbol - 1)].close
        order_id = f"o{index // 2}"
        fills.append(
            Fill(
                f"x{index}",
                order_id,
                moment,
                index + 1,
                float(quantity),
                price,
                Side.BUY if buying else Side.SELL,
                symbol,
                account,
                0.25 * quantity,
            )
        )
        if index % 2 == 0:
            kind = rng.choice((OrderType.MARKET, OrderType.LIMIT, OrderType.STOP))
            orders.append(
                OrderFact(
                    order_id=order_id,
                    status=OrderStatus.FILLED,
                    order_type=kind,
                    quantity=2.0 * quantity,
                    price=price + rng.gauss(0, 0.5),
                    stop_price=price,
                    filled_quantity=2.0 * quantity,
                    submit_utc=moment - timedelta(milliseconds=rng.randint(5, 500)),
                    first_fill_utc=moment,
                )
            )
            if action in ("close", "reduce") and rng.random() < 0.25:
                roles[order_id] = rng.choice((OcoRole.TP, OcoRole.SL))
    inputs = RunInputs("bench", fills, SYMBOLS, roles, bars)
    facts = RunFacts(initial_balance=1_000_000.0, asset_class="FUTURE", orders=orders)
    return Synthetic(inputs, facts)


def _timed(repetitions: int, action: Callable[[], T]) -> tuple[float, T]:
    seconds, result = [], None
    for _ in range(repetitions):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(seconds), result


def _baseline(run: Synthetic) -> float:
    total = sum(fill.quantity * fill.price for fill in run.inputs.fills)
    return total + sum(bar.close for series in run.inputs.bars.values() for bar in series)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--bars", type=int, default=500_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    built_in, run = _timed(1, lambda: synthetic_run(args.fills, args.bars))
    inputs, reps = run.inputs, args.repetitions
    baseline, _ = _timed(reps, lambda: _baseline(run))
    indexing, context = _timed(
        reps, lambda: build_context("bench", inputs.multipliers, inputs.oco_roles, inputs.bars)
    )
    rebuilding, rec = _timed(reps, lambda: extend(Reconstruction("bench"), inputs.fills, context))
    curving, curve = _timed(reps, lambda: build_equity_curve(rec.changes, context.bars, 1e6))
    metrics_inputs = MetricsInputs(rec.trades, rec.open_positions, curve, None, rec.fills)
    measuring, _ = _timed(reps, lambda: run_metrics(metrics_inputs))
    total, report = _timed(reps, lambda: report_run(inputs, run.facts))
    print(f"python {platform.python_version()} on {platform.machine()}, {reps} repetitions")
    print(
        f"run: {len(inputs.fills):,} fills, {sum(map(len, inputs.bars.values())):,} bars "
        f"-> {len(rec.trades):,} trades, {len(rec.matches):,} FIFO matches, "
        f"{len(curve):,} equity points, built in {built_in:.2f}s"
    )
    for name, seconds in (
        ("baseline: touch each fill and bar", baseline),
        ("index bars", indexing),
        ("reconstruct trades", rebuilding),
        ("equity curve", curving),
        ("metrics", measuring),
        ("report_run (all of it)", total),
    ):
        print(f"  {name:<36} {seconds:7.3f}s  {seconds / baseline:6.1f}x baseline")
    print(f"net pnl {report.metrics.trades.net_pnl:,.2f}, sharpe {report.metrics.returns.sharpe}")


if __name__ == "__main__":
    main()
