"""Instrument definitions: what one point of price is worth, for PnL and ticks."""

from typing import Literal

from pydantic import Field

from schema.events.base import Event, Finite, Identifier, JsonObject


class InstrumentDefined(Event):
    """Contract terms of a symbol, for every run (`run_id` null) or for one run."""

    type: Literal["instrument.defined"] = "instrument.defined"
    version: Literal[1] = 1

    symbol: Identifier
    run_id: Identifier | None = Field(None, description="Null: applies to every run.")
    venue: Identifier | None = None
    multiplier: Finite = Field(1.0, gt=0, description="Currency per point per contract.")
    tick_size: Finite | None = Field(None, gt=0)
    currency: Identifier | None = None
    asset_class: Identifier | None = Field(
        None, description="FUTURE, EQUITY, FX, CRYPTO…; picks periods_per_year defaults."
    )
    extra_json: JsonObject | None = None
