"""What a runner keeps of each run between analytics passes is used only with the very metrics
row it was made with, and the least recently used runs go first past the capacity."""

from projector.analytics.members import Kept


def _metrics(run_id: str, computed_position: int = 10) -> dict[str, object]:
    return {"run_id": run_id, "computed_position": computed_position, "net_pnl": 1.5}


def test_a_value_is_given_back_for_the_same_metrics_row_only() -> None:
    kept: Kept[str] = Kept()
    kept.put(_metrics("r"), "analysis", 10)

    assert kept.get(_metrics("r")) == "analysis"
    assert kept.get(_metrics("r", computed_position=11)) is None  # the run moved on
    assert kept.get(_metrics("other")) is None


def test_taking_a_value_forgets_it_until_it_is_put_back() -> None:
    kept: Kept[str] = Kept()
    kept.put(_metrics("r"), "analysis", 10)

    assert kept.take(_metrics("r")) == "analysis"
    assert kept.get(_metrics("r")) is None


def test_a_stale_value_is_forgotten_when_asked_for() -> None:
    kept: Kept[str] = Kept()
    kept.put(_metrics("r"), "old", 10)

    assert kept.take(_metrics("r", computed_position=11)) is None
    assert kept.get(_metrics("r")) is None


def test_the_least_recently_used_runs_are_forgotten_past_the_capacity() -> None:
    kept: Kept[str] = Kept(capacity=25)
    for run_id in ("a", "b"):
        kept.put(_metrics(run_id), run_id, 10)
    kept.get(_metrics("a"))  # a is used again: b is now the oldest

    kept.put(_metrics("c"), "c", 10)

    assert [kept.get(_metrics(r)) for r in ("a", "b", "c")] == ["a", None, "c"]


def test_a_value_larger_than_the_capacity_is_not_kept() -> None:
    kept: Kept[str] = Kept(capacity=5)
    kept.put(_metrics("r"), "huge", 6)

    assert kept.get(_metrics("r")) is None
