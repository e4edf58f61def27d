"""The live stream's change detection (read_api/stream.py): what a client is told, and when."""

import pytest

from read_api.stream import (
    NEVER,
    Change,
    Checkpoint,
    Floor,
    Halt,
    Positions,
    RunPositions,
    RunsWatch,
    changes,
    clip,
    parse_token,
    reading,
    resumed_run,
    run_token,
    runs_token,
)


def kinds(found: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind, c.told.partition) for c in found]


def test_what_grew_is_told_in_the_order_it_happens_each_with_the_positions_told_so_far() -> None:
    before = Positions("r", log_position=10, position=8, analytics_position=5)
    after = Positions("r", log_position=14, position=12, analytics_position=12)
    found = changes(before, after)
    assert [c.kind for c in found] == ["ingested", "projected", "analyzed"]
    assert [(c.told.log_position, c.told.position, c.told.analytics_position) for c in found] == [
        (14, 8, 5),
        (14, 12, 5),
        (14, 12, 12),
    ]


def test_nothing_grew_nothing_is_told() -> None:
    same = Positions("r", 10, 10, 10)
    assert changes(same, same) == []


def test_a_halt_is_told_once_and_its_clearing_not_at_all() -> None:
    running = Positions("r", 10, 6, 6)
    halted = Positions("r", 10, 6, 6, Halt(7, "e-7", "cannot apply"))
    (told,) = changes(running, halted)
    assert (told.kind, told.told.halt) == ("halted", Halt(7, "e-7", "cannot apply"))
    assert changes(halted, halted) == []
    assert changes(halted, running) == []


def test_a_halt_known_only_by_its_position_from_an_id_is_not_told_again() -> None:
    halted = Positions("r", 10, 6, 6, Halt(7, "e-7", "cannot apply"))
    assert changes(resumed_run("r", run_token(halted)), halted) == []


def test_a_checkpoint_read_after_the_log_vouches_for_events_appended_in_between() -> None:
    ahead = Checkpoint(position=12, analytics_position=12, known_position=11)
    assert reading("r", 10, ahead).log_position == 12
    assert reading("r", 10, None) == Positions("r", 10)


def test_clip_keeps_what_the_client_knows_and_forgets_what_it_does_not() -> None:
    after = Positions("r", 30, 25, 20, Halt(26))
    assert clip(after, Floor(log=28, checkpoint=22)) == Positions("r", 28, 22, 20, None)
    assert clip(after, Floor(NEVER, NEVER)) == after


def test_run_ids_round_trip_and_foreign_ids_are_refused() -> None:
    told = Positions("r", 14, 12, 9, Halt(13))
    assert run_token(told) == "14.12.9.13"
    assert resumed_run("r", "14.12.9.13") == Positions("r", 14, 12, 9, Halt(13))
    for foreign in ["14.12", "a.b.c.d", "1.2.3.-4", "", "1" * 20 + ".0.0.0"]:
        with pytest.raises(ValueError, match="not a stream id"):
            parse_token(foreign, 4)


def test_the_catalog_is_told_with_a_null_run_id() -> None:
    data = RunPositions.of(Positions("catalog", 3, 3, 3))
    assert data.run_id is None
    assert RunPositions.of(Positions("r", 3, 3, 3)).run_id == "r"


# --- The stream of every run ---------------------------------------------------------------


def settled(position: int) -> Checkpoint:
    return Checkpoint(position, position, position)


def test_new_events_are_told_then_their_projection_then_the_run_is_let_go() -> None:
    watch = RunsWatch(head=10, watched={})
    found = watch.advance(14, {"r": 14}, {"r": settled(9)})
    assert kinds(found) == [("ingested", "r")]
    assert watch.to_read({}) == ["r"]  # behind: watched until it catches up

    found = watch.advance(14, {}, {"r": Checkpoint(14, 9, 14)})
    assert kinds(found) == [("projected", "r")]
    found = watch.advance(14, {}, {"r": settled(14)})
    assert kinds(found) == [("analyzed", "r")]
    assert watch.to_read({}) == []  # settled: only new events bring it back


def test_a_partition_not_watched_is_told_only_what_moved_above_the_old_head() -> None:
    watch = RunsWatch(head=100, watched={})
    # Settled at 40 long ago (told then, or before the client came); new events 101..103.
    found = watch.advance(103, {"r": 103}, {"r": settled(40)})
    assert kinds(found) == [("ingested", "r")]
    found = watch.advance(103, {}, {"r": settled(103)})
    assert kinds(found) == [("projected", "r"), ("analyzed", "r")]


def test_events_projected_between_two_reads_are_told_in_full() -> None:
    watch = RunsWatch(head=100, watched={})
    found = watch.advance(102, {"r": 102, "new": 101}, {"r": settled(102)})
    assert kinds(found) == [
        ("ingested", "new"),  # no checkpoint yet
        ("ingested", "r"),
        ("projected", "r"),
        ("analyzed", "r"),
    ]
    assert watch.to_read({}) == ["new"]


def test_the_low_water_mark_lies_below_every_change_still_to_come() -> None:
    watch = RunsWatch(head=50, watched={})
    halted_due = Checkpoint(45, 42, 58, Halt(46))  # halted; its analytics may still move
    watch.advance(
        60,
        {"a": 55, "b": 60, "h": 58},
        {
            "a": Checkpoint(52, 48, 55),  # analytics due from 48
            "b": settled(40),  # projection due from 40 (its events 41..60 are new)
            "h": halted_due,
        },
    )
    assert watch.low_water == 40
    watch.advance(60, {}, {"a": settled(55), "b": settled(60), "h": halted_due})
    assert watch.low_water == 42
    watch.advance(60, {}, {"h": Checkpoint(45, 45, 58, Halt(46))})
    assert watch.low_water == 60  # a halt analysed up to its position holds nothing back
    assert runs_token(watch) == "60.60"
