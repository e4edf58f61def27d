"""The projection status in Prometheus text format, for `GET /metrics`.

Each scrape renders one `ProjectionStatus` through a fresh registry holding a collector of
that status only: no process-global metric objects, so several apps in one process (tests,
the embedded server) never share or leak figures. Names and labels:

- `stratlog_log_head_position`
- `stratlog_partition_checkpoint_position{partition}`, `..._lag_events{partition}`,
  `..._lag_seconds{partition}`, `..._halted{partition}` (1 when halted)
- `stratlog_doorbell_total{counter}` (left out when the counters could not be read) and
  `stratlog_doorbell_readable` (0 then, so an alert can tell "Redis down" from "no rings")
"""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from read_api.status import ProjectionStatus

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _StatusCollector:
    """Yields the metric families of one status (a prometheus_client Collector)."""

    def __init__(self, status: ProjectionStatus) -> None:
        self.status = status

    def collect(self) -> Iterable[Metric]:
        status = self.status
        yield GaugeMetricFamily(
            "stratlog_log_head_position",
            "Last position appended to the event log.",
            value=status.log_head_position,
        )
        per_partition = {
            "checkpoint_position": "Last log position applied to the partition's projection.",
            "lag_events": "Events of the partition in the log not applied yet.",
            "lag_seconds": "Age of the partition's oldest unapplied event (0 when caught up).",
            "halted": "1 when the partition stopped at an event it could not apply.",
        }
        families = {
            name: GaugeMetricFamily(f"stratlog_partition_{name}", text, labels=["partition"])
            for name, text in per_partition.items()
        }
        for partition in status.partitions:
            labels = [partition.partition]
            families["checkpoint_position"].add_metric(labels, partition.position)
            families["lag_events"].add_metric(labels, partition.lag_events)
            families["lag_seconds"].add_metric(labels, partition.lag_seconds)
            families["halted"].add_metric(labels, 1 if partition.halted else 0)
        yield from families.values()
        yield GaugeMetricFamily(
            "stratlog_doorbell_readable",
            "1 when the doorbell counters could be read.",
            value=0 if status.doorbell is None else 1,
        )
        if status.doorbell is not None:
            counters = CounterMetricFamily(
                "stratlog_doorbell",
                "Doorbell events: rings, coalesced rings, jobs, sweeps, sweep wake-ups.",
                labels=["counter"],
            )
            for name, value in sorted(status.doorbell.items()):
                counters.add_metric([name], value)
            yield counters


def render(status: ProjectionStatus) -> bytes:
    """The Prometheus text exposition of `status`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StatusCollector(status))
    return generate_latest(registry)
