"""A run's analysis carried on pass after pass gives the rows of one analysis of all its rows.

Sessions are folded through the pure projections (tests/unit/projection_fold.py) and cut
anywhere; after each cut every run is analyzed as the stage would: its kept analysis carried
on with the rows changed since (`advance`), or, when that says no, analyzed from scratch. The
rows that sequence of passes writes (applied the way the stage writes them) must equal those
of one `analyze` of all the rows, and so must what the run gives its aggregates.
"""

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from projector.analytics.carry_on import RunDelta, advance
from projector.analytics.inputs import WILDCARD_SCOPE, RunRows, finest_series, traded_symbols
from projector.analytics.run_analysis import Pass, RunAnalysis, analyze
from projector.trades import Bar
from projector.writes import Row
from stratlog.simulation import generate_sessions
from tests.fixtures.sessions import analytics_session
from tests.unit.projection_fold import ProjectionFold, as_event

Wire = dict[str, Any]


def _rows_of(fold: ProjectionFold, table: str, run_id: str, since: int = 0) -> list[Row]:
    rows = fold.tables.get(table, {}).values()
    return [r for r in rows if r["run_id"] == run_id and r["last_position"] > since]


def _bars(fold: ProjectionFold, series: Iterable[str], since: int = 0) -> dict[str, list[Bar]]:
    found: dict[str, list[Bar]] = {}
    wanted = set(series)
    for (series_id, _), row in sorted(fold.tables.get("bars", {}).items()):
        if series_id in wanted and row["last_position"] > since:
            prices = (row["open"], row["high"], row["low"], row["close"])
            found.setdefault(series_id, []).append(Bar(row["ts_utc"], *prices, row["end_utc"]))
    return found


def _instruments(fold: ProjectionFold, run_id: str, symbols: set[str]) -> list[Row]:
    rows = fold.tables.get("instruments", {}).values()
    chosen = [r for r in rows if r["symbol"] in symbols and r["scope"] in (run_id, WILDCARD_SCOPE)]
    return sorted(chosen, key=lambda r: (r["scope"], r["symbol"]))


def run_rows(fold: ProjectionFold, run_id: str) -> RunRows:
    """What reads.run_rows reads, from folded tables."""
    orders = sorted(_rows_of(fold, "orders", run_id), key=lambda r: r["order_id"])
    executions = sorted(_rows_of(fold, "executions", run_id), key=lambda r: r["execution_id"])
    series = sorted(_rows_of(fold, "run_series", run_id), key=lambda r: r["series_id"])
    return RunRows(
        run_id=run_id,
        run=fold.tables["strategy_runs"].get((run_id,)),
        orders=orders,
        executions=executions,
        oco_links=_rows_of(fold, "order_oco_links", run_id),
        series=series,
        bars=_bars(fold, finest_series(series).values()),
        instruments=_instruments(fold, run_id, traded_symbols(orders, executions)),
    )


def run_delta(fold: ProjectionFold, last: RunAnalysis) -> RunDelta:
    """What reads.run_delta reads, from folded tables."""
    run_id, since = last.run_id, last.position
    orders = _rows_of(fold, "orders", run_id, since)
    executions = _rows_of(fold, "executions", run_id, since)
    symbols = traded_symbols(last.orders.values(), last.executions.values())
    return RunDelta(
        run=fold.tables["strategy_runs"][(run_id,)],
        orders=orders,
        executions=executions,
        oco_links=_rows_of(fold, "order_oco_links", run_id, since),
        series=_rows_of(fold, "run_series", run_id, since),
        bars=_bars(fold, last.chosen.values(), since),
        instruments=_instruments(fold, run_id, symbols | traded_symbols(orders, executions)),
    )


@dataclass
class Written:
    """A run's analytics rows as the stage leaves them after each pass."""

    trades: dict[str, Row] = field(default_factory=dict)
    matches: dict[tuple[str, int], Row] = field(default_factory=dict)
    equity: dict[int, Row] = field(default_factory=dict)
    open_positions: list[Row] = field(default_factory=list)
    flags: list[Row] = field(default_factory=list)
    metrics: Row = field(default_factory=dict)

    def write(self, done: Pass) -> None:
        if done.from_scratch:
            self.trades, self.matches, self.equity = {}, {}, {}
        elif done.equity_dropped:
            self.equity = {s: row for s, row in self.equity.items() if s < done.equity_from}
        self.trades |= {row["trade_id"]: row for row in done.trades}
        self.matches |= {(row["trade_id"], row["match_number"]): row for row in done.matches}
        self.equity |= {row["seq"]: row for row in done.equity}
        if done.from_scratch or done.open_positions_changed:
            self.open_positions = done.analysis.open_positions
        if done.from_scratch or done.flags_changed:
            self.flags = done.analysis.flags
        self.metrics = done.analysis.metrics

    def tables(self) -> str:
        keyed = (sorted(self.trades.items()), sorted(self.matches.items()))
        rest = (sorted(self.equity.items()), self.open_positions, self.flags, self.metrics)
        return repr((*keyed, *rest))  # repr tells 1 from 1.0 and NaN from None


def _run_ids(session: Sequence[Wire]) -> list[str]:
    return sorted({e["run_id"] for e in session if e.get("run_id")})


def carried_on(session: Sequence[Wire], cuts: Iterable[int]) -> tuple[int, int]:
    """Fold `session` cut at `cuts`, analyze every run after each chunk as the stage would,
    and check each run against one analysis of all its rows; (passes carried on, passes)."""
    fold = ProjectionFold()
    kept: dict[str, RunAnalysis] = {}
    written = {run_id: Written() for run_id in _run_ids(session)}
    passes = carried = 0
    start = 0
    for cut in [*sorted(set(cuts)), len(session)]:
        chunk = session[start:cut]
        if not chunk:
            continue
        fold.apply_batch([(start + i + 1, as_event(e)) for i, e in enumerate(chunk)])
        start = cut
        for run_id in written:
            if (run_id,) not in fold.tables.get("strategy_runs", {}):
                continue
            done = None
            last = kept.pop(run_id, None)
            if last is not None:
                done = advance(last, run_delta(fold, last), "S", fold.position)
                carried += done is not None
            if done is None:
                done = analyze(run_rows(fold, run_id), "S", fold.position)
            passes += 1
            written[run_id].write(done)
            kept[run_id] = done.analysis
    for run_id, rows in written.items():
        once = analyze(run_rows(fold, run_id), "S", fold.position)
        reference = Written()
        reference.write(once)
        assert rows.tables() == reference.tables(), run_id
        assert repr(kept[run_id].member_inputs()) == repr(once.analysis.member_inputs())
    return carried, passes


def _simulated(seed: int, disorder: float) -> list[Wire]:
    return list(generate_sessions(seed, runs=2, events_per_run=600, disorder=disorder))


SIMULATED = _simulated(7, 0.1)
IN_ORDER = _simulated(8, 0.0)


def _shuffled_analytics(seed: int) -> list[Wire]:
    session = analytics_session()
    events = session[3:]
    random.Random(seed).shuffle(events)
    return session[:3] + events


cut_points = st.lists(st.integers(1, len(SIMULATED) - 1), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=cut_points)
def test_a_simulated_session_cut_anywhere_is_analyzed_as_in_one_pass(cuts: list[int]) -> None:
    carried_on(SIMULATED, cuts)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), cuts=st.lists(st.integers(1, 40), max_size=10))
def test_the_worked_session_in_any_order_cut_anywhere_is_analyzed_as_in_one_pass(
    seed: int, cuts: list[int]
) -> None:
    carried_on(_shuffled_analytics(seed), cuts)


def test_a_session_arriving_in_order_is_carried_on_at_almost_every_pass() -> None:
    carried, passes = carried_on(IN_ORDER, range(50, len(IN_ORDER), 50))

    assert passes >= 20
    assert carried >= passes - 4  # each run's first pass starts from scratch


def test_a_fill_arriving_before_the_last_applied_one_starts_the_run_over() -> None:
    session = analytics_session()
    fills = [i for i, e in enumerate(session) if e["type"] == "execution.recorded"]
    late = session.pop(fills[1])  # the second fill, sent after everything else
    session.append(late)

    carried, passes = carried_on(session, [len(session) - 1])

    assert (carried, passes) == (0, 2)


def test_a_fill_earlier_than_the_curves_last_sample_starts_the_run_over() -> None:
    # The worked session sends all its bars first: after the first fill, the curve is
    # sampled up to the last bar, and the second fill (2 minutes later) lies before that.
    session = analytics_session()
    second_fill = next(i for i, e in enumerate(session) if e.get("execution_id") == "X2")

    carried, passes = carried_on(session, [second_fill])

    assert (carried, passes) == (0, 2)


def test_bars_of_a_run_are_indexed_once_and_extended_afterwards() -> None:
    fold = ProjectionFold()
    positioned = [(i + 1, as_event(e)) for i, e in enumerate(IN_ORDER)]
    fold.apply_batch(positioned[:400])
    run_id = _run_ids(IN_ORDER)[0]
    first = analyze(run_rows(fold, run_id), "S", fold.position)
    bars_before = {s: len(b) for s, b in first.analysis.bars.items()}
    fold.apply_batch(positioned[400:500])

    done = advance(first.analysis, run_delta(fold, first.analysis), "S", fold.position)

    assert done is not None
    assert not done.from_scratch
    assert all(len(b) > bars_before[s] for s, b in done.analysis.bars.items())
    assert done.equity_from > 0  # the points before stay as written
