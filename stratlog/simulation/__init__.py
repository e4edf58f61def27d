"""Realistic trading sessions, generated: the events exporters would send, seeded and streamed.

Used by the benchmarks (bench/), the tests and demos. `generate_sessions(seed, runs,
events_per_run)` is the entry point (sessions.py); market.py draws the bars, strategy.py
trades them with brackets, tape.py writes the events, arrival.py reorders them as exporters'
buffers do.
"""

from stratlog.simulation.market import UNIVERSE, Instrument
from stratlog.simulation.sessions import (
    RunSpec,
    catalog_events,
    generate_sessions,
    plan_runs,
    simulate_runs,
)
from stratlog.simulation.strategy import Trading

__all__ = [
    "UNIVERSE",
    "Instrument",
    "RunSpec",
    "Trading",
    "catalog_events",
    "generate_sessions",
    "plan_runs",
    "simulate_runs",
]
