"""PnL and win rate of closed trades by the market regime they were entered in.

Two independent breakdowns, by trend (UP, DOWN, RANGE) and by volatility (LOW, NORMAL,
HIGH); trades entered without enough bar history fall under UNKNOWN. Rows come in a fixed
order (dimension, then regime name) so equal trades give equal rows.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from projector.metrics.numeric import ratio
from projector.trades.model import Outcome, Trade

UNKNOWN_REGIME = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class RegimeStats:
    dimension: str  # "trend" or "volatility"
    regime: str
    trades: int
    wins: int
    net_pnl: float
    win_rate: float | None


def _breakdown(dimension: str, tagged: Sequence[tuple[str | None, Trade]]) -> list[RegimeStats]:
    groups: defaultdict[str, list[Trade]] = defaultdict(list)
    for tag, trade in tagged:
        groups[tag or UNKNOWN_REGIME].append(trade)
    rows = []
    for regime in sorted(groups):
        members = groups[regime]
        wins = sum(1 for trade in members if trade.outcome is Outcome.WIN)
        rows.append(
            RegimeStats(
                dimension=dimension,
                regime=regime,
                trades=len(members),
                wins=wins,
                net_pnl=math.fsum(trade.pnl_net for trade in members),
                win_rate=ratio(wins, len(members)),
            )
        )
    return rows


def regime_stats(trades: Sequence[Trade]) -> tuple[RegimeStats, ...]:
    return (
        *_breakdown("trend", [(trade.regime_trend, trade) for trade in trades]),
        *_breakdown("volatility", [(trade.regime_volatility, trade) for trade in trades]),
    )
