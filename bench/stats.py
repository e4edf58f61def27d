"""What one timed pass yields, and how repetitions are summarized (median, min, max), and a
figure of the suite: a measurement beside its same-run baseline, and their ratio."""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed pass: how many events were committed in how long, and each call's latency."""

    events: int
    seconds: float
    latencies_s: tuple[float, ...]

    @property
    def rate(self) -> float:
        """Events per second over the whole pass."""
        return self.events / self.seconds

    def latency_ms(self, fraction: float) -> float:
        """A percentile of the pass's call latencies, in milliseconds."""
        return percentile(self.latencies_s, fraction) * 1000


@dataclass(frozen=True, slots=True)
class Spread:
    """One figure over the repetitions: median, min, max."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        if not values:
            raise ValueError("no repetitions to summarize")
        return cls(statistics.median(values), min(values), max(values))

    def text(self, decimals: int = 0) -> str:
        return f"{self.median:,.{decimals}f} [{self.low:,.{decimals}f} - {self.high:,.{decimals}f}]"


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the suite: what was measured, the baseline measured beside it in the same
    run, and the ratio of their medians (for a rate, higher is better; for a latency or a
    memory size, lower is)."""

    name: str
    unit: str
    value: Spread
    baseline_name: str
    baseline: Spread
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value.median / self.baseline.median if self.baseline.median else math.inf

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name, "unit": self.unit, "value": _spread(self.value),
            "baseline": {"name": self.baseline_name, **_spread(self.baseline)},
            "ratio": self.ratio, "note": self.note,
        }  # fmt: skip


def _spread(spread: Spread) -> dict[str, float]:
    return {"median": spread.median, "min": spread.low, "max": spread.high}


@dataclass(frozen=True, slots=True)
class Summary:
    """Repetitions of one measurement: events/s median, min, max, and call latency."""

    median: float
    low: float
    high: float
    p50_ms: float
    p99_ms: float
    repetitions: int
    events_per_repetition: int

    @property
    def spread(self) -> Spread:
        return Spread(self.median, self.low, self.high)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (fraction in 0..1)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summarize(samples: Sequence[Sample]) -> Summary:
    """Median and spread of the rates; latency percentiles over every call of every pass."""
    rates = [s.rate for s in samples]
    latencies = [latency for s in samples for latency in s.latencies_s]
    return Summary(
        median=statistics.median(rates),
        low=min(rates),
        high=max(rates),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        repetitions=len(samples),
        events_per_repetition=samples[0].events,
    )
