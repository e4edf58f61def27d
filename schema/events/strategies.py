"""Catalog events: a strategy and a configured instance of it (strategy + parameters + venue)."""

from typing import Literal

from pydantic import Field

from schema.events.base import Event, Identifier, JsonObject, SymbolList, Text


class StrategyRegistered(Event):
    """A strategy exists (or its description changed). Keyed by `strategy_id`."""

    type: Literal["strategy.registered"] = "strategy.registered"
    version: Literal[1] = 1

    strategy_id: Identifier = Field(description="Stable strategy key; Quantower sends its name.")
    name: Text | None = Field(None, description="Display name.")
    strategy_version: Text | None = Field(None, description="The strategy's own version label.")
    vendor: Text | None = None
    source_ref: Text | None = Field(None, description="Where the code lives (repo, path, hash).")
    notes: Text | None = None
    extra_json: JsonObject | None = Field(None, description="Anything else the client sent.")


class InstanceRegistered(Event):
    """A strategy configured for an account, symbol(s) and timeframe.

    `instance_id` is optional: without it the projector derives one from the strategy,
    canonical parameters, symbols, timeframe, account and venue, so restarting the same
    configuration never creates a new instance.
    """

    type: Literal["instance.registered"] = "instance.registered"
    version: Literal[1] = 1

    instance_id: Identifier | None = Field(None, description="Client key, if it has one.")
    strategy_id: Identifier
    instance_name: Text | None = None
    parameters_json: JsonObject | None = Field(None, description="Strategy parameters.")
    symbol: Identifier | None = None
    symbols_json: SymbolList | None = Field(None, description="All symbols, for multi-leg.")
    timeframe: Identifier | None = Field(None, description='As sent ("1 - Minute", "1m").')
    account_id: Identifier | None = None
    venue: Identifier | None = None
    extra_json: JsonObject | None = None
