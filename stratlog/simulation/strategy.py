"""A bracket-trading strategy on one symbol: what it orders, and how the market fills it.

Each position is one bracket group: an ENTRY order (market, or a limit that may fill in parts
and has its rest cancelled after a few bars), then a take-profit LIMIT and a stop-loss STOP
for the filled quantity, one-cancels-other. The group ends when exactly one exit fills and
the other legs are cancelled: the TP, the SL (stop slippage included), or an EXIT market
order: a reversal (one order that closes this position and opens the opposite one, linked
EXIT here and ENTRY in the next group) or the flattening when the run winds down. Every fill
pays a per-contract fee. So, by construction: in a group whose entry filled anything, one
exit leg fills and the others are cancelled; a group whose entry filled nothing has no legs;
fills of a FILLED order sum to its quantity; a run that has wound down is flat.

Decisions are taken at a bar's close (orders reach the market a few milliseconds later, in
the next minute); fills happen where the next bars' paths reach the orders' prices
(`Bar.reach`). All randomness comes from the run's generator.
"""

import random
from dataclasses import dataclass
from enum import Enum, auto
from itertools import pairwise

from stratlog.simulation.market import Bar, Instrument
from stratlog.simulation.tape import BUY, SELL, Order, Tape


@dataclass(frozen=True, slots=True)
class Trading:
    """How active and how tight the strategy is (chances are per bar)."""

    entry_chance: float = 0.08  # flat: open a bracket
    limit_entry_share: float = 0.4  # of entries: a limit order below/above the market
    limit_offset_ticks: int = 3
    entry_timeout_bars: int = 4  # a limit entry's rest is cancelled after this many bars
    take_profit_ticks: tuple[int, int] = (6, 16)  # in units of the instrument's volatility/2
    stop_loss_ticks: tuple[int, int] = (4, 12)
    reversal_chance: float = 0.01  # holding: reverse with one market order
    breakeven_chance: float = 0.05  # holding, in profit: move the stop to the entry price
    partial_fill_chance: float = 0.6  # a limit only touched (not traded through) fills part


class _Phase(Enum):
    FLAT = auto()
    ENTERING = auto()  # an entry (or reversal) order is working
    HOLDING = auto()  # in a position, with TP/SL legs or a flattening order working


class SymbolTrader:
    """The strategy's state for one symbol of one run."""

    def __init__(
        self, instrument: Instrument, tape: Tape, rng: random.Random, trading: Trading
    ) -> None:
        self.instrument = instrument
        self._tape = tape
        self._rng = rng
        self._trading = trading
        self._phase = _Phase.FLAT
        self.position = 0  # signed contracts
        self._group: str | None = None
        self._next_group: str | None = None  # the group a reversal order opens
        self._entry: Order | None = None
        self._exit: Order | None = None  # a market EXIT (reversal or flatten)
        self._legs: list[Order] = []  # TP, SL (working)
        self._cost = 0.0  # ticks x contracts of the open position
        self._bars_waited = 0
        self._busy_until = 0  # the latest time told so far: later decisions come after it

    @property
    def done(self) -> bool:
        """Flat with nothing working: the run may end."""
        return self._phase is _Phase.FLAT

    def on_bar(self, bar: Bar, winding_down: bool) -> None:
        """Fill what the bar reaches, then decide at its close."""
        if self._exit is not None:
            self._fill_exit(bar)
        if self._entry is not None:
            self._work_entry(bar)
        if self._legs and all(leg.submit_ms < bar.start_ms for leg in self._legs):
            self._work_legs(bar)
        self._decide(bar, winding_down)

    # --- fills ------------------------------------------------------------------------------

    def _fill_market(self, order: Order, bar: Bar) -> int:
        """Fill `order` at the open in one to three parts; the last fill's time."""
        rng = self._rng
        ms = max(bar.start_ms, order.submit_ms) + rng_ms(rng, 20, 300)
        for part in _split(order.remaining, rng.choice((1, 1, 2, 3)), rng):
            price = bar.clamp(bar.open + order.side * rng.choice((0, 0, 0, 1)))  # slippage
            self._tape.fill(self.instrument, order, ms, part, price)
            self._apply(order.side * part, price)
            ms += rng_ms(rng, 1, 120)
        return ms

    def _work_entry(self, bar: Bar) -> None:
        entry = self._entry
        assert entry is not None
        if entry.kind == "MARKET":
            ms = self._fill_market(entry, bar)
            self._tape.update(entry, ms, "FILLED")
            self._entered(ms)
            return
        assert entry.level is not None
        touched = bar.reach(entry.level, upward=entry.side == SELL)
        if touched is None or touched < entry.submit_ms:
            return
        quantity = entry.remaining
        through = bar.low < entry.level if entry.side == BUY else bar.high > entry.level
        at_open = touched == bar.start_ms
        # Traded through (or opened beyond): all of it fills. Only touched: the queue ahead
        # may leave part of it working.
        touched_only = not (through or at_open) and quantity > 1
        if touched_only and self._rng.random() < self._trading.partial_fill_chance:
            quantity = self._rng.randint(1, quantity - 1)
        price = bar.open if at_open else entry.level
        ms = min(touched + rng_ms(self._rng, 5, 400), bar.end_ms - 1)
        self._tape.fill(self.instrument, entry, ms, quantity, price)
        self._apply(entry.side * quantity, price)
        if entry.remaining:
            self._tape.update(entry, ms + 1, "PARTIALLY_FILLED")
        else:
            self._tape.update(entry, ms + 1, "FILLED")
            self._entered(ms + 1)

    def _work_legs(self, bar: Bar) -> None:
        """The first leg the bar's path reaches fills; the others are cancelled."""
        reached = []
        for leg in self._legs:
            assert leg.level is not None
            upward = (leg.side == SELL) == (leg.kind == "LIMIT")  # sell limit, buy stop: up
            moment = bar.reach(leg.level, upward)
            if moment is not None:
                reached.append((moment, leg.kind == "LIMIT", leg))  # a tie: the stop first
        if not reached:
            return
        moment, _, leg = min(reached, key=lambda r: (r[0], r[1]))
        assert leg.level is not None
        if moment == bar.start_ms:
            price = bar.open
        elif leg.kind == "STOP":
            price = bar.clamp(leg.level + leg.side * self._rng.choice((0, 0, 1, 2)))  # slippage
        else:
            price = leg.level
        ms = min(moment + rng_ms(self._rng, 5, 200), bar.end_ms - 1)
        parts = _split(leg.quantity, 2 if self._rng.random() < 0.2 else 1, self._rng)
        for part in parts:
            self._tape.fill(self.instrument, leg, ms, part, price)
            self._apply(leg.side * part, price)
            ms += rng_ms(self._rng, 50, 900)
        self._tape.update(leg, ms, "FILLED")
        self._cancel_legs(ms + rng_ms(self._rng, 20, 300), "OCO")
        self._close_group()

    def _fill_exit(self, bar: Bar) -> None:
        order = self._exit
        assert order is not None
        ms = self._fill_market(order, bar)
        self._tape.update(order, ms, "FILLED")
        self._exit = None
        if order.impact == "REVERSE":
            self._group, self._next_group = self._next_group, None
            self._entered(ms)
        else:
            self._close_group()

    def _apply(self, signed_quantity: int, ticks: int) -> None:
        """Move the position; keep the open part's cost (average-cost)."""
        before = self.position
        after = before + signed_quantity
        if before == 0 or (before > 0) == (signed_quantity > 0):
            self._cost += signed_quantity * ticks
        elif (after > 0) == (before > 0) and after != 0:
            self._cost *= after / before
        else:  # closed, or flipped: what is left was opened at this price
            self._cost = after * ticks
        self.position = after

    # --- decisions ----------------------------------------------------------------------------

    def _decide(self, bar: Bar, winding_down: bool) -> None:
        rng, trading, phase = self._rng, self._trading, self._phase
        if phase is _Phase.FLAT:  # most bars: checked first, one draw
            if not winding_down and rng.random() < trading.entry_chance:
                self._enter(bar, self._decision_ms(bar))
        elif phase is _Phase.ENTERING and self._entry is not None:
            self._bars_waited += 1
            if self._entry.kind == "LIMIT" and (
                winding_down or self._bars_waited >= trading.entry_timeout_bars
            ):
                self._cancel_entry(self._decision_ms(bar))
        elif phase is _Phase.HOLDING and self._exit is None and self._legs:
            if winding_down:
                self._exit_market(self._decision_ms(bar), reverse=False)
            elif rng.random() < trading.reversal_chance:
                self._exit_market(self._decision_ms(bar), reverse=True)
            elif rng.random() < trading.breakeven_chance:
                self._move_stop_to_entry(bar, self._decision_ms(bar))

    def _decision_ms(self, bar: Bar) -> int:
        """When a decision taken at `bar`'s close reaches the market."""
        return max(bar.end_ms, self._busy_until) + rng_ms(self._rng, 5, 400)

    def _enter(self, bar: Bar, ms: int) -> None:
        rng, trading = self._rng, self._trading
        side = rng.choice((BUY, SELL))
        quantity = rng.randint(1, self.instrument.max_contracts)
        if rng.random() < trading.limit_entry_share:
            level = bar.close - side * rng.randint(1, trading.limit_offset_ticks)
            entry = Order(self._tape.new_id("O"), side, quantity, "LIMIT", level, "OPEN", ms)
        else:
            entry = Order(self._tape.new_id("O"), side, quantity, "MARKET", None, "OPEN", ms)
        self._group = self._tape.group(ms)
        self._tape.order(self.instrument, entry, "entry")
        self._tape.link(self._group, entry, "ENTRY", ms)
        if entry.kind == "LIMIT":
            self._tape.update(entry, ms + rng_ms(rng, 2, 80), "WORKING")
        self._entry, self._phase, self._bars_waited = entry, _Phase.ENTERING, 0

    def _cancel_entry(self, ms: int) -> None:
        entry = self._entry
        assert entry is not None
        reason = "timeout" if entry.filled else "not filled"
        self._tape.update(entry, ms, "CANCELED", cancel_reason=reason)
        if entry.filled:
            self._entered(ms)
        else:
            self._entry = None
            self._close_group()

    def _entered(self, ms: int) -> None:
        """The entry is done with a position: attach the TP and SL legs for all of it."""
        assert self._group is not None
        self._entry = None
        self._phase = _Phase.HOLDING
        rng, trading, unit = self._rng, self._trading, self.instrument.volatility_ticks / 2
        side = SELL if self.position > 0 else BUY
        average = self._cost / self.position
        direction = -side  # the position's direction
        take = max(1, round(rng.randint(*trading.take_profit_ticks) * unit))
        stop = max(1, round(rng.randint(*trading.stop_loss_ticks) * unit))
        ms += rng_ms(rng, 100, 800)
        quantity = abs(self.position)
        tp_level, sl_level = round(average + direction * take), round(average - direction * stop)
        take_profit = Order(self._tape.new_id("O"), side, quantity, "LIMIT", tp_level, "CLOSE", ms)
        stop_loss = Order(self._tape.new_id("O"), side, quantity, "STOP", sl_level, "CLOSE", ms)
        for leg, role in ((take_profit, "TP"), (stop_loss, "SL")):
            self._tape.order(self.instrument, leg, role.lower())
            self._tape.link(self._group, leg, role, ms)
            self._tape.update(leg, ms + rng_ms(rng, 2, 80), "WORKING")
        self._legs = [take_profit, stop_loss]
        self._busy_until = ms + 80

    def _exit_market(self, ms: int, reverse: bool) -> None:
        """Cancel the legs and leave with one market order (reversing: into the opposite)."""
        assert self._group is not None
        self._cancel_legs(ms, "reversal" if reverse else "session end")
        ms += rng_ms(self._rng, 1, 50)
        side = SELL if self.position > 0 else BUY
        quantity = abs(self.position)
        if reverse:
            quantity += self._rng.randint(1, self.instrument.max_contracts)
        impact = "REVERSE" if reverse else "CLOSE"
        order = Order(self._tape.new_id("O"), side, quantity, "MARKET", None, impact, ms)
        self._tape.order(self.instrument, order, "reversal" if reverse else "flatten")
        self._tape.link(self._group, order, "EXIT", ms)
        if reverse:
            self._next_group = self._tape.group(ms)
            self._tape.link(self._next_group, order, "ENTRY", ms)
        self._exit = order

    def _move_stop_to_entry(self, bar: Bar, ms: int) -> None:
        stop_loss = self._legs[-1]
        average = round(self._cost / self.position)
        in_profit = (bar.close - average) * (1 if self.position > 0 else -1)
        if in_profit <= self.instrument.volatility_ticks or stop_loss.level == average:
            return
        stop_loss.level = average
        self._tape.update(stop_loss, ms, "WORKING", stop_price=self.instrument.price(average))

    def _cancel_legs(self, ms: int, reason: str) -> None:
        for leg in self._legs:
            if leg.remaining:
                self._tape.update(leg, ms, "CANCELED", cancel_reason=reason)
                ms += 1
        self._legs = []
        self._busy_until = max(self._busy_until, ms)

    def _close_group(self) -> None:
        if self.position == 0:
            self._group, self._phase, self._cost = None, _Phase.FLAT, 0.0


def rng_ms(rng: random.Random, low: int, high: int) -> int:
    """A delay in milliseconds, drawn uniformly."""
    return rng.randint(low, high)


def _split(quantity: int, parts: int, rng: random.Random) -> list[int]:
    """`quantity` as up to `parts` positive whole parts."""
    parts = max(1, min(parts, quantity))
    cuts = sorted(rng.sample(range(1, quantity), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, quantity]
    return [b - a for a, b in pairwise(bounds)]
