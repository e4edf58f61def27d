"""The stream of every run misses no change (read_api/stream.py, `RunsWatch`).

A model store moves under a client that reads it as the live stream does (the log, then the
checkpoints of the partitions to read), with moves landing between those two reads; the
client is cut off in the middle of a tick's events, the store moves on, and the client
resumes from the last id it received (the resume reads of read_api/stream_feeds.py, on the
model). Whatever happened, after one quiet tick the client knows every partition's positions
as the store has them. Halts are cleared only once the client is back: a halt cleared while
it was away is the one change the stream documents it may miss.
"""

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from read_api.stream import (
    NEVER,
    Change,
    Checkpoint,
    Floor,
    Halt,
    RunsWatch,
    parse_token,
    runs_token,
)

PARTITIONS = ["a", "b", "c", "catalog"]

Action = tuple[str, str, int]  # (what, partition, how many)
View = tuple[int, int, int, int]  # log, projected, analysed, halted at (0: not halted)


@dataclass
class Row:
    position: int = 0
    analytics: int = 0
    halted: int | None = None


@dataclass
class Store:
    log: list[str] = field(default_factory=list)  # the partition of each position (from 1)
    rows: dict[str, Row] = field(default_factory=dict)

    def events(self, partition: str) -> list[int]:
        return [i for i, p in enumerate(self.log, start=1) if p == partition]

    def apply(self, action: Action) -> None:
        what, partition, count = action
        if what == "append":
            self.log.extend([partition] * count)
            return
        row = self.rows.setdefault(partition, Row())
        pending = [p for p in self.events(partition) if p > row.position]
        if what == "project" and pending and row.halted is None:
            row.position = pending[min(count, len(pending)) - 1]
        elif what == "analyze":
            row.analytics = row.position
        elif what == "halt" and pending and row.halted is None:
            row.halted = pending[0]
        elif what == "clear":
            row.halted = None

    def checkpoint(self, partition: str) -> Checkpoint | None:
        row = self.rows.get(partition)
        if row is None:
            return None
        halt = Halt(row.halted) if row.halted is not None else None
        # All the projector promises: it saw the partition's events up to its cursor.
        known = max([row.position, *(p for p in self.events(partition) if p <= self.cursor())])
        return Checkpoint(row.position, row.analytics, known, halt)

    def cursor(self) -> int:
        """The discovery cursor: every partition with events up to it has a checkpoint."""
        unknown = [i for i, p in enumerate(self.log, start=1) if p not in self.rows]
        return min(unknown, default=len(self.log) + 1) - 1

    def checkpoints(self, partitions: list[str]) -> dict[str, Checkpoint]:
        found = {p: self.checkpoint(p) for p in partitions}
        return {p: c for p, c in found.items() if c is not None}

    def log_after(self, position: int) -> tuple[int, dict[str, int]]:
        return len(self.log), {p: i for i, p in enumerate(self.log, start=1) if i > position}

    def truth(self, partition: str) -> View:
        row = self.rows.get(partition, Row())
        last = max(self.events(partition), default=0)
        return (last, row.position, row.analytics, row.halted or 0)


@dataclass
class Client:
    watch: RunsWatch
    token: str
    view: dict[str, View]

    @classmethod
    def connect(cls, store: Store) -> "Client":
        watch = RunsWatch(head=0, watched={})
        behind = [p for p in PARTITIONS if (c := store.checkpoint(p)) and _behind(c)]
        rows = store.checkpoints(behind)
        head, new_events = store.log_after(store.cursor())
        rows |= store.checkpoints(sorted(set(new_events) - set(rows)))
        watch.advance(head, new_events, rows, Floor(NEVER, NEVER))
        return cls(watch, runs_token(watch), {p: store.truth(p) for p in PARTITIONS})

    def tick(self, store: Store, between: list[Action], heard: int | None = None) -> None:
        """One tick, with `between` landing after the log read; `heard`: the events received
        before the connection broke (all of them by default)."""
        head, new_events = store.log_after(self.watch.head)
        for action in between:
            store.apply(action)
        rows = store.checkpoints(self.watch.to_read(new_events))
        self.hear(self.watch.advance(head, new_events, rows), heard)

    def resume(self, store: Store) -> None:
        """A new connection with the last id received, read as RunsFeed.open reads."""
        client_head, low = parse_token(self.token, 2)
        above = [
            p
            for p in PARTITIONS
            if (c := store.checkpoint(p))
            and (
                _behind(c)
                or max(c.position, c.analytics_position, c.halt.position if c.halt else 0) > low
            )
        ]
        rows = store.checkpoints(above)
        head, new_events = store.log_after(min(store.cursor(), client_head))
        rows |= store.checkpoints(sorted(set(new_events) - set(rows)))
        self.watch = RunsWatch(head=0, watched={})
        floor = Floor(log=client_head, checkpoint=low)
        self.hear(self.watch.advance(head, new_events, rows, floor))

    def hear(self, found: list[Change], heard: int | None = None) -> None:
        received = found if heard is None else found[:heard]
        for change in received:
            told = change.told
            halted = told.halt.position if told.halt else 0
            self.view[told.partition] = (
                told.log_position,
                told.position,
                told.analytics_position,
                halted,
            )
        if found and len(received) == len(found):  # the id rides on a tick's last event
            self.token = runs_token(self.watch)


def _behind(c: Checkpoint) -> bool:
    """RunsFeed.open's query of the partitions behind."""
    return c.position < c.known_position or c.analytics_position < c.position or c.halt is not None


partitions = st.sampled_from(PARTITIONS)
moves = st.tuples(
    st.sampled_from(["append", "project", "analyze", "halt"]), partitions, st.integers(1, 3)
)
clears = st.tuples(st.just("clear"), partitions, st.just(1))
Step = tuple[str, list[Action]]


def steps(with_clears: bool) -> st.SearchStrategy[list[Step]]:
    action = st.one_of(moves, clears) if with_clears else moves
    step = st.one_of(
        st.tuples(st.just("move"), st.lists(action, min_size=1, max_size=3)),
        st.tuples(st.just("tick"), st.lists(action, max_size=3)),
    )
    return st.lists(step, max_size=12)


def run(store: Store, client: Client, scenario: list[Step]) -> None:
    for kind, actions in scenario:
        if kind == "tick":
            client.tick(store, actions)
        else:
            for action in actions:
                store.apply(action)


def assert_knows_the_store(client: Client, store: Store) -> None:
    for partition in PARTITIONS:
        truth, view = store.truth(partition), client.view[partition]
        assert view[:3] == truth[:3], partition
        if truth[3]:
            assert view[3] == truth[3], partition


@settings(max_examples=300, deadline=None)
@given(
    before=st.lists(moves, max_size=6),
    connected=steps(with_clears=False),
    cut=st.tuples(st.lists(moves, max_size=3), st.integers(0, 6)),
    away=st.lists(moves, max_size=8),
    back=steps(with_clears=True),
)
def test_a_client_that_ticks_drops_and_resumes_ends_up_knowing_every_change(
    before: list[Action],
    connected: list[Step],
    cut: tuple[list[Action], int],
    away: list[Action],
    back: list[Step],
) -> None:
    store = Store()
    for action in before:
        store.apply(action)
    client = Client.connect(store)
    run(store, client, connected)
    client.tick(store, cut[0], heard=cut[1])
    for action in away:
        store.apply(action)
    client.resume(store)
    run(store, client, back)
    client.tick(store, [])
    assert_knows_the_store(client, store)


@settings(max_examples=200, deadline=None)
@given(connected=steps(with_clears=True))
def test_a_client_that_stays_connected_knows_every_change_after_a_quiet_tick(
    connected: list[Step],
) -> None:
    store = Store()
    client = Client.connect(store)
    run(store, client, connected)
    client.tick(store, [])
    assert_knows_the_store(client, store)
