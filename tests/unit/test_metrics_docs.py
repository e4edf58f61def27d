"""docs/metrics.md documents every figure the trades and metrics report: each field of the
reported dataclasses appears there in backticks, so a new metric cannot ship undocumented."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from projector.metrics import ExecutionStats, RegimeStats, ReturnStats, RunMetrics, TradeStats
from projector.trades import LotMatch, OpenPosition, Trade

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
REPORTED = (Trade, LotMatch, OpenPosition, TradeStats, ReturnStats, ExecutionStats, RegimeStats)


@pytest.mark.parametrize("reported", [*REPORTED, RunMetrics], ids=lambda cls: cls.__name__)
def test_every_reported_field_is_documented(reported: type) -> None:
    documented = set(re.findall(r"`([a-z0-9_]+)`", DOC.read_text(encoding="utf-8")))

    missing = [f.name for f in fields(reported) if f.name not in documented]

    assert missing == []
