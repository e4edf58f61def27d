"""Curves on one grid: the grid, and one run or several runs held together on it, worked by
hand (the database's sampling is checked against a brute-force step function in
tests/integration/test_read_compare.py)."""

from read_api.analytics.alignment import Member, grid_offsets, portfolio


def test_the_grid_spreads_points_evenly_in_whole_microseconds_and_ends_on_the_span() -> None:
    assert grid_offsets(10, 5) == [0, 2, 5, 7, 10]  # floor(i x 10 / 4)
    assert grid_offsets(1_199_500_000, 3) == [0, 599_750_000, 1_199_500_000]
    assert grid_offsets(3, 5) == [0, 0, 1, 2, 3]  # a span shorter than the grid repeats x
    assert grid_offsets(0, 200) == [0]


def test_a_run_is_null_before_its_first_point() -> None:
    equity, pnl = portfolio([Member({1: 100.0, 2: 100.0, 3: 95.5, 4: 95.5}, 100.0)], 5)
    assert equity == [None, 100.0, 100.0, 95.5, 95.5]
    assert pnl == [None, 0.0, 0.0, -4.5, -4.5]


def test_runs_held_together_count_a_run_at_its_balance_before_its_first_point() -> None:
    early = Member({0: 1000.0, 1: 1000.0, 2: 1010.0, 3: 1010.0, 4: 1010.0}, 1000.0)
    late = Member({3: 495.0, 4: 495.0}, 500.0)
    unsampled = Member({}, 250.0)  # a run without points: its balance throughout
    equity, pnl = portfolio([early, late, unsampled], 5)
    assert equity == [1750.0, 1750.0, 1760.0, 1755.0, 1755.0]
    assert pnl == [0.0, 0.0, 10.0, 5.0, 5.0]


def test_held_together_the_portfolio_starts_with_its_first_run() -> None:
    equity, pnl = portfolio([Member({2: 90.0}, 100.0), Member({3: 60.0}, 50.0)], 4)
    assert equity == [None, None, 140.0, 150.0]
    assert pnl == [None, None, -10.0, 0.0]


def test_a_point_stored_as_null_makes_the_sum_null_until_a_finite_one() -> None:
    equity, _ = portfolio([Member({0: 10.0, 1: None, 2: 12.0}, 0.0), Member({0: 1.0}, 0.0)], 3)
    assert equity == [11.0, None, 13.0]


def test_nothing_to_sample_is_null_everywhere() -> None:
    assert portfolio([Member({}, 100.0)], 3) == ([None] * 3, [None] * 3)
    assert portfolio([], 2) == ([None] * 2, [None] * 2)
