"""Metrics rows (run_metrics, instance_metrics, strategy_metrics) as metrics responses.

A row holds the headline figures as columns and every metric as canonical JSON; a run,
instance or strategy without a row (not analysed yet) answers with every figure null.
"""

from typing import Any

import orjson

from read_api.analytics.metrics_models import (
    InstanceMetricsResponse,
    Metrics,
    MetricsSummary,
    RunMetricsResponse,
    StrategyMetricsResponse,
)
from read_api.analytics.queries import Row

_SUMMARY_FIELDS = [name for name in MetricsSummary.model_fields if name != "metrics"]


def summary_of(row: Row | None) -> dict[str, Any]:
    """The MetricsSummary fields of a metrics row (all null when there is none)."""
    if row is None:
        return dict.fromkeys([*_SUMMARY_FIELDS, "metrics"])
    metrics = Metrics.model_validate(orjson.loads(row["metrics_json"]))
    return {**{name: row[name] for name in _SUMMARY_FIELDS}, "metrics": metrics}


def run_summary(run_id: str, row: Row | None) -> RunMetricsResponse:
    identity = {
        "run_id": run_id,
        "instance_id": row["instance_id"] if row else None,
        "strategy_id": row["strategy_id"] if row else None,
    }
    return RunMetricsResponse.model_validate({**summary_of(row), **identity})


def instance_summary(instance_id: str, row: Row | None) -> InstanceMetricsResponse:
    runs = row["runs"] if row else 0
    values = {**summary_of(row), "instance_id": instance_id, "runs": runs}
    return InstanceMetricsResponse.model_validate(values)


def strategy_summary(strategy_id: str, row: Row | None) -> StrategyMetricsResponse:
    runs = row["runs"] if row else 0
    values = {**summary_of(row), "strategy_id": strategy_id, "runs": runs}
    return StrategyMetricsResponse.model_validate(values)
