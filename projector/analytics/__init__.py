"""Run analytics in the projection store: trades, FIFO matches, open positions, the equity
curve, quality flags and metrics per run, and metrics per instance and per strategy.

Computed by the projector after a partition's catch-up, never by a read (DESIGN §5.2):
`inputs` turns a run's stored rows into what `projector.trades` and `projector.metrics` read,
`rows` turns their report into table rows, `stored` reads rows back for aggregation and
`members` keeps what was measured of each run for the next aggregation; `reads`, `sql` and
`stage` are the I/O around them. See stage.py for when and how it runs.
"""

from projector.analytics.stage import (
    affects_analytics,
    analyze_run,
    refresh_analytics,
    refresh_every_aggregate,
)

__all__ = ["affects_analytics", "analyze_run", "refresh_analytics", "refresh_every_aggregate"]
