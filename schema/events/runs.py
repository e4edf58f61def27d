"""Run lifecycle: a backtest, paper or live session of an instance starts, beats, ends."""

from typing import Literal

from pydantic import Field

from schema.enums import RunStatus, RunStatusIn, RunTypeIn
from schema.events.base import (
    Event,
    Finite,
    Identifier,
    JsonObject,
    OptionalUtcDatetime,
    Text,
    UtcDatetime,
)


class RunStarted(Event):
    """A run began. Exporters that know no instance send the strategy and parameters."""

    type: Literal["run.started"] = "run.started"
    version: Literal[1] = 1
    time_field = "start_utc"

    run_id: Identifier
    instance_id: Identifier | None = None
    strategy_id: Identifier | None = None
    parameters_json: JsonObject | None = None
    run_type: RunTypeIn | None = None
    start_utc: OptionalUtcDatetime = None
    status: RunStatusIn = RunStatus.RUNNING
    engine_version: Text | None = None
    data_source: Text | None = None
    data_range: JsonObject | None = Field(None, description="Backtest data window, as sent.")
    initial_balance: Finite | None = None
    base_currency: Identifier | None = None
    periods_per_year: Finite | None = Field(None, gt=0, description="For annualised ratios.")
    metrics_json: JsonObject | None = None
    extra_json: JsonObject | None = None


class RunEnded(Event):
    """A run stopped, normally or not."""

    type: Literal["run.ended"] = "run.ended"
    version: Literal[1] = 1
    time_field = "end_utc"

    run_id: Identifier
    end_utc: OptionalUtcDatetime = None
    status: RunStatusIn = RunStatus.COMPLETED
    reason: Text | None = None
    metrics_json: JsonObject | None = None
    extra_json: JsonObject | None = None


class RunHeartbeat(Event):
    """The run is alive; runs without one for a while are reported stale."""

    type: Literal["run.heartbeat"] = "run.heartbeat"
    version: Literal[1] = 1
    time_field = "ts_utc"

    run_id: Identifier
    ts_utc: UtcDatetime
