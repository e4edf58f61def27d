"""Buckets for downsampled bars: widths from any spelling, where buckets start, and the bucket
`max_points` picks from the ladder."""

from datetime import UTC, datetime

import pytest

from read_api.bar_buckets import LADDER, bucket_start, buckets_over, choose_width, name_of, width_of

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86_400, 604_800


@pytest.mark.parametrize(
    ("spelling", "width"),
    [("1 - Minute", 60), ("M5", 300), ("1h", 3600), ("H4", 14_400), ("1 day", DAY),
     ("D1", DAY), ("2w", 2 * WEEK), ("30 sec", 30), ("1mo", None), ("MN1", None),
     ("100 ticks", None), ("Renko 10", None), ("0m", None), ("daily", None)],
)  # fmt: skip
def test_width_of_a_timeframe_in_any_spelling(spelling: str, width: int | None) -> None:
    assert width_of(spelling) == width


@pytest.mark.parametrize(
    ("width", "name"), [(60, "1m"), (90, "90s"), (5400, "90m"), (DAY, "1d"), (7 * DAY, "1w")]
)
def test_a_width_is_named_in_its_largest_whole_unit(width: int, name: str) -> None:
    assert name_of(width) == name


def test_the_ladder_rises_and_every_rung_names_itself() -> None:
    widths = [width_of(rung) for rung in LADDER]
    assert widths == sorted({w for w in widths if w is not None})
    assert [name_of(w) for w in widths if w is not None] == list(LADDER)


@pytest.mark.parametrize(
    ("moment", "width", "start"),
    [
        (datetime(2025, 3, 7, 21, 59, 59, 999999, tzinfo=UTC), 4 * HOUR,
         datetime(2025, 3, 7, 20, tzinfo=UTC)),  # hours count from midnight
        (datetime(2025, 3, 7, 0, 7, 30, tzinfo=UTC), 15 * MINUTE,
         datetime(2025, 3, 7, 0, 0, tzinfo=UTC)),
        (datetime(2025, 3, 9, 23, 59, tzinfo=UTC), WEEK,
         datetime(2025, 3, 3, tzinfo=UTC)),  # Sunday: the week began on Monday
        (datetime(2025, 3, 10, tzinfo=UTC), WEEK, datetime(2025, 3, 10, tzinfo=UTC)),
        (datetime(2025, 3, 10, 12, tzinfo=UTC), DAY, datetime(2025, 3, 10, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_buckets_start_on_whole_widths_from_a_monday_midnight(
    moment: datetime, width: int, start: datetime
) -> None:
    assert bucket_start(moment, width) == start


FRIDAY_EVENING = datetime(2025, 3, 7, 20, tzinfo=UTC)
MONDAY_MORNING = datetime(2025, 3, 10, 9, 59, tzinfo=UTC)


def test_buckets_over_a_span_count_both_ends() -> None:
    assert buckets_over(FRIDAY_EVENING, MONDAY_MORNING, 4 * HOUR) == 16  # 20:00 .. Mon 08:00
    assert buckets_over(FRIDAY_EVENING, FRIDAY_EVENING, HOUR) == 1
    assert buckets_over(FRIDAY_EVENING, MONDAY_MORNING, WEEK) == 2


@pytest.mark.parametrize(
    ("max_points", "floor", "width"),
    [
        (20, MINUTE, 4 * HOUR),  # 2h would take 31 buckets
        (31, MINUTE, 2 * HOUR),
        (10_000, MINUTE, MINUTE),  # the series' own minute fits
        (10_000, None, 30),  # without a floor the ladder starts at a second
        (1000, 2 * HOUR, 2 * HOUR),
        (22, 3 * HOUR, 3 * HOUR),  # a floor off the ladder (22 buckets), then the rungs above
        (15, 3 * HOUR, 6 * HOUR),
        (1, MINUTE, 13 * WEEK),
    ],
)
def test_max_points_takes_the_smallest_bucket_that_fits(
    max_points: int, floor: int | None, width: int
) -> None:
    assert choose_width((FRIDAY_EVENING, MONDAY_MORNING), max_points, floor) == width


def test_a_span_too_long_for_every_rung_gets_the_top_one_and_no_span_the_first() -> None:
    decade = (datetime(2015, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert choose_width(decade, 5, MINUTE) == 52 * WEEK
    assert choose_width(None, 5, HOUR) == HOUR
    assert choose_width(None, 5, None) == 1
