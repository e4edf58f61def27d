"""The simulated market (stratlog/simulation/market.py) and its clock: bars that hold
together, a path that says when a price is reached, times written as the codec writes them."""

import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratlog.simulation.clock import MINUTE_MS, utc_text
from stratlog.simulation.market import UNIVERSE, Bar, Market, RandomWalk

BAR = Bar(start_ms=0, open=100, high=110, low=95, close=104, volume=10, high_first=True)


def test_bars_hold_together_and_each_opens_at_the_last_close() -> None:
    for instrument in UNIVERSE:
        walk, previous = RandomWalk(instrument, random.Random(instrument.symbol)), None
        for minute in range(5_000):
            bar = walk.bar(minute * MINUTE_MS)
            assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
            assert bar.low > 0
            assert bar.volume > 0
            assert previous is None or bar.open == previous.close
            previous = bar


def test_prices_are_written_on_the_tick_grid() -> None:
    for instrument in UNIVERSE:
        price = instrument.price(21_701)
        assert price == round(21_701 * instrument.tick, instrument.decimals)
        assert abs(price / instrument.tick - 21_701) < 1e-6


@pytest.mark.parametrize(
    ("level", "upward", "expected_ms"),
    [
        (100, True, 0),  # at the open already
        (105, True, 10_000),  # half way from the open to the high (first third)
        (110, True, 20_000),  # the high
        (97, False, 20_000 + 17_333),  # 13/15 of the way down from the high to the low
        (111, True, None),  # above the high: never
        (94, False, None),  # below the low: never
    ],
)
def test_reach_follows_open_then_extremes_then_close(
    level: int, upward: bool, expected_ms: int | None
) -> None:
    assert BAR.reach(level, upward) == expected_ms


def test_a_bar_whose_low_comes_first_reaches_it_first() -> None:
    low_first = BAR._replace(high_first=False)
    assert low_first.reach(95, upward=False) == 20_000
    assert low_first.reach(110, upward=True) == 40_000


def test_the_same_minute_gives_every_run_the_same_bars_and_time_only_moves_forward() -> None:
    market = Market(UNIVERSE[:2], random.Random(1))
    first = market.bars(0)
    assert market.bars(0) is first
    assert market.bars(MINUTE_MS) != first
    with pytest.raises(ValueError, match="forward"):
        market.bars(0)


@given(st.integers(min_value=0, max_value=int(datetime(2100, 1, 1, tzinfo=UTC).timestamp()) * 1000))
def test_times_are_written_as_the_codec_writes_them(ms: int) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert orjson.dumps(utc_text(ms)) == orjson.dumps(moment, option=orjson.OPT_UTC_Z)
