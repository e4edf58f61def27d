"""Bars: one series per run, symbol and normalised timeframe; a re-sent bar counted once."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from projector.projections.bars import series_id_of
from schema.codec import decode_event
from schema.events import BarClosed
from tests.unit.projection_fold import fold

RUN = "run-1"
OPEN_TIME = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)


def bar(minute: int = 0, timeframe: str = "1m", **fields: Any) -> dict[str, Any]:
    return {
        "type": "bar.closed",
        "run_id": RUN,
        "symbol": "ESM5",
        "timeframe": timeframe,
        "ts_utc": (OPEN_TIME + timedelta(minutes=minute)).isoformat(),
        "open": 5700.0,
        "high": 5702.5,
        "low": 5699.25,
        "close": 5701.75,
        **fields,
    }


def series_of(event: dict[str, Any]) -> str:
    decoded = decode_event(event)
    assert isinstance(decoded, BarClosed)
    return series_id_of(decoded)


@pytest.mark.parametrize(
    "spellings",
    [("1 - Minute", "1m", "M1"), ("M1", "1 min", "1 - Minute")],
    ids=lambda spellings: "/".join(spellings),
)
def test_spellings_of_one_timeframe_are_one_series(spellings: tuple[str, ...]) -> None:
    tables = fold([bar(minute, spelling) for minute, spelling in enumerate(spellings)])
    (series,) = tables.rows("run_series")
    assert (series["timeframe"], series["timeframe_raw"]) == ("1m", spellings[0])
    assert series["bar_count"] == 3
    assert len(tables.rows("bars")) == 3


@pytest.mark.parametrize("sizes", [[], [1], [2]], ids=["one-batch", "1+2", "2+1"])
def test_a_re_sent_bar_is_counted_once_and_the_last_version_wins(sizes: list[int]) -> None:
    tables = fold([bar(0, close=5701.0), bar(1), bar(0, "1 - Minute", close=5702.0)], sizes)
    series = tables.row("run_series", series_of(bar()))
    assert series["bar_count"] == 2
    assert tables.row("bars", series["series_id"], OPEN_TIME)["close"] == 5702.0


@pytest.mark.parametrize(
    "other", [{"symbol": "NQM5"}, {"venue": "CME"}, {"provider": "Rithmic"}, {"timeframe": "5m"}]
)
def test_another_symbol_venue_provider_or_timeframe_is_another_series(
    other: dict[str, Any],
) -> None:
    assert len(fold([bar(), bar() | other]).rows("run_series")) == 2


def test_a_series_spans_its_earliest_and_latest_bar_whatever_the_arrival_order() -> None:
    series = fold([bar(5), bar(2), bar(9)]).row("run_series", series_of(bar()))
    assert (series["first_ts_utc"], series["last_ts_utc"]) == (
        OPEN_TIME + timedelta(minutes=2),
        OPEN_TIME + timedelta(minutes=9),
    )


def test_a_volumetric_payload_is_kept_as_canonical_json() -> None:
    footprint = {"levels": [{"price": 5700.0, "bid": 12, "ask": 30}], "delta": 18}
    tables = fold([bar(volumetric_json=orjson.dumps(footprint).decode())])
    (stored,) = tables.rows("bars")
    assert (
        stored["volumetric_json"] == orjson.dumps(footprint, option=orjson.OPT_SORT_KEYS).decode()
    )
