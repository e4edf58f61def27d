"""What a runner keeps of each run between analytics passes, valid while the run's metrics row is.

Two things are worth keeping: a run's last analysis (`RunAnalysis`), which the next pass
carries on instead of starting over, and what the run contributes to its instance's and
strategy's metrics (`MetricsInputs`), which every analysis of a fellow member run reads and
which otherwise comes back from its stored rows (trades, equity curve, fills, orders). Both
are valid while the run's stored `run_metrics` row is exactly the one they were made with:
the row changes whenever anything they are made of does (its computed position, the latest
log position among the rows analyzed, moves with every fill, order, bar or instrument; the
run's balance, start, span, membership and every metric are columns of it), and whatever
else wrote the run's rows (another worker, a rollback, `stratlog rebuild --run`) shows there.
Memory is bounded: the least recently used runs are forgotten past `capacity` items.
"""

from collections import OrderedDict
from collections.abc import Mapping
from typing import Generic, TypeVar

from projector.analytics.run_analysis import RunAnalysis
from projector.metrics import MetricsInputs
from projector.writes import Row

T = TypeVar("T")
DEFAULT_CAPACITY = 250_000  # trades, points, bars, rows…: some 100 MB at most


class Kept(Generic[T]):
    """A bounded LRU of run id -> (its `run_metrics` row, a value made with it)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[Row, T, int]] = OrderedDict()
        self._items = 0

    def get(self, metrics: Mapping[str, object]) -> T | None:
        """The value made with this very `run_metrics` row, if kept."""
        run_id = str(metrics["run_id"])
        entry = self._entries.get(run_id)
        if entry is None or entry[0] != metrics:
            return None
        self._entries.move_to_end(run_id)
        return entry[1]

    def take(self, metrics: Mapping[str, object]) -> T | None:
        """`get`, and forget it: the caller changes it and puts it back when done."""
        value = self.get(metrics)
        self.forget(str(metrics["run_id"]))
        return value

    def put(self, metrics: Row, value: T, size: int) -> None:
        """Keep `value` (about `size` items) for the run of `metrics`."""
        run_id = str(metrics["run_id"])
        self.forget(run_id)
        if size > self.capacity:
            return
        self._entries[run_id] = (dict(metrics), value, size)
        self._items += size
        while self._items > self.capacity:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self._items -= dropped

    def forget(self, run_id: str) -> None:
        entry = self._entries.pop(run_id, None)
        if entry is not None:
            self._items -= entry[2]


class KeptRuns:
    """A runner's kept runs: their last analyses, and their inputs to aggregates; and how
    many passes carried a kept analysis on (the rest started from scratch)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.analyses: Kept[RunAnalysis] = Kept(capacity)
        self.members: Kept[MetricsInputs] = Kept(capacity)
        self.carried_on = 0


def inputs_size(inputs: MetricsInputs) -> int:
    return 1 + len(inputs.trades) + len(inputs.equity) + len(inputs.fills) + len(inputs.orders)
