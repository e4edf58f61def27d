"""Bars the run saw: OHLCV per symbol and timeframe, with an optional volumetric payload."""

from typing import Literal

from pydantic import Field

from schema.events.base import (
    Event,
    Finite,
    Identifier,
    JsonDocument,
    JsonObject,
    OptionalUtcDatetime,
    UtcDatetime,
)


class BarClosed(Event):
    """One closed bar. `ts_utc` is the bar's open time; the series key is
    (run, symbol, timeframe, venue, provider)."""

    type: Literal["bar.closed"] = "bar.closed"
    version: Literal[1] = 1
    time_field = "ts_utc"

    run_id: Identifier
    symbol: Identifier
    timeframe: Identifier = Field(description='As sent; "1 - Minute", "1m" and "M1" are one.')
    venue: Identifier | None = None
    provider: Identifier | None = None
    ts_utc: UtcDatetime
    end_utc: OptionalUtcDatetime = None
    open: Finite
    high: Finite
    low: Finite
    close: Finite
    volume: Finite | None = None
    open_interest: Finite | None = None
    volumetric_json: JsonDocument | None = Field(None, description="Footprint / volume profile.")
    extra_json: JsonObject | None = Field(None, description="Anything else the client sent.")
