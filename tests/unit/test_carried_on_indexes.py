"""The pieces a run's analysis carries on with: a symbol's bar index extended with newer bars,
and the equity curve's walk taking in more bar closes, equal what indexing or walking
everything at once gives."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from projector.metrics import build_equity_curve
from projector.metrics.equity import CurveWalk, bar_closes
from projector.trades import Bar
from projector.trades.bars import extend_index, index_bars
from tests.fixtures.trade_builders import MINUTE, T0, minute_bars, run

bar_series = st.lists(
    st.tuples(
        st.integers(1, 3),  # minutes after the previous bar
        st.floats(90, 110),  # close
        st.booleans(),  # sends its end
    ),
    min_size=1,
    max_size=40,
)


def _bars(drawn: list[tuple[int, float, bool]]) -> list[Bar]:
    bars, moment = [], T0
    for gap, close, ends in drawn:
        moment += gap * MINUTE
        end = moment + MINUTE if ends else None
        bars.append(Bar(moment, close, close + 1, close - 1, close, end))
    return bars


@settings(max_examples=200, deadline=None)
@given(drawn=bar_series, split=st.integers(0, 40))
def test_an_extended_index_equals_the_index_of_all_the_bars(
    drawn: list[tuple[int, float, bool]], split: int
) -> None:
    bars = _bars(drawn)
    older, newer = bars[:split], bars[split:]

    extended = extend_index(index_bars(older), older, newer)

    assert extended is None or extended == index_bars(bars)


def test_bars_that_keep_the_last_ones_end_extend_the_index() -> None:
    bars = minute_bars([100, 101, 102, 103, 104])

    assert extend_index(index_bars(bars[:3]), bars[:3], bars[3:]) == index_bars(bars)


def test_a_bar_not_after_the_last_indexed_one_cannot_extend_it() -> None:
    bars = minute_bars([100, 101, 102])

    assert extend_index(index_bars(bars[1:]), bars[1:], bars[:1]) is None


def test_a_bar_after_a_gap_moves_the_last_ones_end_so_it_cannot_extend() -> None:
    bars = minute_bars([100, 101, 102])  # the last one lasts a minute, as the one before
    later = Bar(bars[-1].ts_utc + 5 * MINUTE, 1, 1, 1, 1)

    assert extend_index(index_bars(bars), bars, [later]) is None


@settings(max_examples=100, deadline=None)
@given(split=st.integers(0, 24), close_shift=st.floats(-5, 5))
def test_a_walk_taking_in_more_bar_closes_gives_the_curve_of_one_walk(
    split: int, close_shift: float
) -> None:
    closes = [100 + close_shift + i % 4 for i in range(12)]
    es, nq = minute_bars(closes), minute_bars([c * 2 for c in closes])
    ledger = run("B 2@100 t=0.5 f1; S 1@103 t=2.5; S 1@101 t=6.5 f1", bars={"ES": es}).changes
    indexes = {"ES": index_bars(es), "NQ": index_bars(nq)}
    every_close = list(bar_closes(indexes))

    walk = CurveWalk(1000.0)
    walk.walk(ledger, every_close[:split])
    walk.walk(ledger, every_close[split:])

    start = T0 - timedelta(seconds=30)
    assert walk.curve(ledger, start) == build_equity_curve(ledger, indexes, 1000.0, start)


def test_a_walk_skips_the_closes_it_was_given_before() -> None:
    bars = {"ES": index_bars(minute_bars([1, 2, 3, 4])), "NQ": index_bars(minute_bars([5, 6]))}

    later = list(bar_closes(bars, {"ES": 3, "NQ": 1}))

    assert later == [(T0 + 2 * MINUTE, "NQ", 6), (T0 + 4 * MINUTE, "ES", 4)]
