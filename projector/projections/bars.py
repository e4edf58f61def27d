"""Bars into series: one series per run x symbol x timeframe x venue x provider.

The timeframe is normalised first ("1 - Minute" and "1m" are one series); the series id is
derived from the key, so a rebuild gives the same ids. A bar re-sent for the same open time
replaces the earlier one (the last version in log order wins) and is counted once.
"""

from functools import lru_cache

from projector.projections.common import earlier, json_text, later, run_read, touch_run
from projector.state import ProjectionState
from projector.writes import Put, Read, Row, Write
from schema.events import BarClosed
from schema.ids import stable_uuid
from schema.timeframes import normalize_timeframe


def series_id_of(event: BarClosed) -> str:
    return _series_id(event.run_id, event.symbol, event.timeframe, event.venue, event.provider)


@lru_cache(maxsize=4096)  # pure; a run's bars share a handful of keys, and this is per bar
def _series_id(
    run_id: str, symbol: str, timeframe: str, venue: str | None, provider: str | None
) -> str:
    return stable_uuid(
        "series", run_id, symbol, normalize_timeframe(timeframe), venue or "", provider or ""
    )


def reads_bar(event: BarClosed) -> list[Read]:
    series_id = series_id_of(event)
    return [
        run_read(event.run_id),
        Read("run_series", (series_id,)),
        Read("bars", (series_id, event.ts_utc)),
    ]


def project_bar(event: BarClosed, position: int, state: ProjectionState) -> list[Write]:
    series_id = series_id_of(event)
    current = state.get("run_series", (series_id,))
    is_new_bar = state.get("bars", (series_id, event.ts_utc)) is None
    series: Row = (
        dict(current)
        if current
        else {
            "series_id": series_id,
            "run_id": event.run_id,
            "symbol": event.symbol,
            "timeframe": normalize_timeframe(event.timeframe),
            "venue": event.venue or "",
            "provider": event.provider or "",
            "timeframe_raw": event.timeframe,
            "bar_count": 0,
            "first_ts_utc": event.ts_utc,
            "last_ts_utc": event.ts_utc,
        }
    )
    series["bar_count"] += 1 if is_new_bar else 0
    series["first_ts_utc"] = earlier(series["first_ts_utc"], event.ts_utc)
    series["last_ts_utc"] = later(series["last_ts_utc"], event.ts_utc)
    series["last_position"] = position
    bar = {
        "series_id": series_id,
        "ts_utc": event.ts_utc,
        "end_utc": event.end_utc,
        "open": event.open,
        "high": event.high,
        "low": event.low,
        "close": event.close,
        "volume": event.volume,
        "open_interest": event.open_interest,
        "volumetric_json": json_text(event.volumetric_json),
        "last_position": position,
    }
    run = state.get("strategy_runs", (event.run_id,))
    return [
        Put("run_series", series),
        Put("bars", bar),
        touch_run(run, event.run_id, event, position),
    ]
