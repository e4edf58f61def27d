"""Statistics of closed trades: counts, PnL, win rate, profit factor, payoff, expectancy, SQN,
Kelly, extremes, streaks, duration.

Open positions are excluded. A trade's outcome (WIN, LOSS, BREAKEVEN) comes from
reconstruction: breakeven when |pnl_net| <= 1e-9 x max(1, entry notional); a breakeven trade
counts in `trades` and in every per-trade average, but is neither a win nor a loss, and it
ends both streaks. Streaks follow exit order (exit time, then the closing fill's log
position). Kelly uses the decisive trades: W = wins / (wins + losses), f = W - (1 - W) / payoff,
which is the growth-optimal fraction when breakevens change nothing.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from projector.metrics.numeric import finite, is_zero_dispersion, mean, ratio, sample_std
from projector.trades.model import Outcome, Trade


@dataclass(frozen=True, slots=True)
class TradeStats:
    trades: int
    wins: int
    losses: int
    breakevens: int
    gross_pnl: float
    fees: float
    net_pnl: float
    gross_profit: float
    gross_loss: float
    win_rate: float | None
    profit_factor: float | None
    average_win: float | None
    average_loss: float | None
    payoff_ratio: float | None
    expectancy: float | None
    sqn: float | None
    kelly: float | None
    largest_win: float | None
    largest_loss: float | None
    max_consecutive_wins: int
    max_consecutive_losses: int
    average_duration_seconds: float | None


def _longest_run(outcomes: Sequence[Outcome], wanted: Outcome) -> int:
    longest = current = 0
    for outcome in outcomes:
        current = current + 1 if outcome is wanted else 0
        longest = max(longest, current)
    return longest


def _sqn(nets: Sequence[float]) -> float | None:
    std = sample_std(nets)
    if std is None or is_zero_dispersion(std, max(abs(n) for n in nets)):
        return None
    return finite(math.sqrt(len(nets)) * (mean(nets) or 0.0) / std)


def trade_stats(trades: Sequence[Trade]) -> TradeStats:
    ordered = sorted(trades, key=lambda t: (t.exit_utc, t.exit_position, t.exit_execution_id))
    nets = [t.pnl_net for t in ordered]
    wins = [t.pnl_net for t in ordered if t.outcome is Outcome.WIN]
    losses = [t.pnl_net for t in ordered if t.outcome is Outcome.LOSS]
    gross_profit, gross_loss = math.fsum(wins), math.fsum(losses)
    average_win, average_loss = mean(wins), mean(losses)
    payoff = kelly = None
    if average_win is not None and average_loss is not None:
        payoff = ratio(average_win, -average_loss)
        decisive_win_rate = len(wins) / (len(wins) + len(losses))
        kelly = finite(decisive_win_rate - (1 - decisive_win_rate) / payoff) if payoff else None
    outcomes = [t.outcome for t in ordered]
    return TradeStats(
        trades=len(ordered),
        wins=len(wins),
        losses=len(losses),
        breakevens=len(ordered) - len(wins) - len(losses),
        gross_pnl=math.fsum(t.pnl_gross for t in ordered),
        fees=math.fsum(t.commission for t in ordered),
        net_pnl=math.fsum(nets),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        win_rate=ratio(len(wins), len(ordered)),
        profit_factor=ratio(gross_profit, -gross_loss) if losses else None,
        average_win=average_win,
        average_loss=average_loss,
        payoff_ratio=payoff,
        expectancy=mean(nets),
        sqn=_sqn(nets),
        kelly=kelly,
        largest_win=max(wins, default=None),
        largest_loss=min(losses, default=None),
        max_consecutive_wins=_longest_run(outcomes, Outcome.WIN),
        max_consecutive_losses=_longest_run(outcomes, Outcome.LOSS),
        average_duration_seconds=mean([t.duration_seconds for t in ordered]),
    )
