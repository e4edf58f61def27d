"""What one timed pass yields, and how repetitions are summarized (median, min, max)."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


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
