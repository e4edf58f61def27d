"""Request and response models of `POST /api/v1/compare`: runs, instances or strategies side
by side, their metrics and their equity curves on one grid (read_api/analytics/alignment.py).

The answer's `kind` says which metrics rows it holds: the same objects as the per-run,
per-instance and per-strategy metrics routes, in the order the ids were asked.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
)

from read_api.analytics.metrics_models import (
    InstanceMetricsResponse,
    RunMetricsResponse,
    StrategyMetricsResponse,
)

Key = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class CompareQuery(BaseModel):
    """What to compare, and on how many grid points."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "runs", "ids": ["run-a", "run-b"], "points": 200, "align": "time"}
            ]
        },
    )

    kind: Literal["runs", "instances", "strategies"]
    ids: list[Key] = Field(min_length=1, max_length=20, description="Unique; answered in order.")
    points: int = Field(200, ge=2, le=2000, description="Grid points of the curves.")
    align: Literal["time", "elapsed"] = Field(
        "time",
        description="time: one calendar span, the union of the curves'; elapsed: seconds "
        "since each curve's own first point.",
    )

    @field_validator("ids")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        repeated = sorted({key for key in ids if ids.count(key) > 1})
        if repeated:
            raise ValueError(f"ids must be unique; repeated: {', '.join(repeated)}")
        return ids


class CurveSeries(BaseModel):
    """One id's equity curve sampled on the grid: null before its first point."""

    id: str
    start_utc: datetime | None = Field(description="Its first point; null without points.")
    initial_balance: float = Field(description="Starting balance (summed over its runs).")
    equity: list[float | None]
    pnl: list[float | None] = Field(description="equity - initial_balance.")


class Curves(BaseModel):
    """Every series on one grid of x-values."""

    align: Literal["time", "elapsed"]
    x: list[datetime] | list[float] = Field(
        description="Times (align=time) or seconds since each curve's start (align=elapsed); "
        "`points` values, one when the span is empty, none without any point."
    )
    series: list[CurveSeries] = Field(description="One per id, in the order asked.")


_CURVES_EXAMPLE: dict[str, JsonValue] = {
    "align": "time",
    "x": ["2025-03-03T14:00:00Z", "2025-03-03T14:30:00Z", "2025-03-03T15:00:00Z"],
    "series": [
        {
            "id": "run-a",
            "start_utc": "2025-03-03T14:00:00Z",
            "initial_balance": 100000.0,
            "equity": [100000.0, 100965.0, 100724.0],
            "pnl": [0.0, 965.0, 724.0],
        },
        {
            "id": "run-b",
            "start_utc": "2025-03-03T14:20:00Z",
            "initial_balance": 50000.0,
            "equity": [None, 49980.0, 50110.0],
            "pnl": [None, -20.0, 110.0],
        },
    ],
}


class RunsComparison(BaseModel):
    """Runs side by side."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "runs", "rows": [], "curves": _CURVES_EXAMPLE}]}
    )

    kind: Literal["runs"]
    rows: list[RunMetricsResponse]
    curves: Curves


class InstancesComparison(BaseModel):
    """Instances side by side, each its runs held together."""

    kind: Literal["instances"]
    rows: list[InstanceMetricsResponse]
    curves: Curves


class StrategiesComparison(BaseModel):
    """Strategies side by side, each its runs held together."""

    kind: Literal["strategies"]
    rows: list[StrategyMetricsResponse]
    curves: Curves


Comparison = Annotated[
    RunsComparison | InstancesComparison | StrategiesComparison, Field(discriminator="kind")
]
