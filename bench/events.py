"""The events every ingest benchmark writes: `bar.closed` events with time-ordered ids.

Bars are built as canonical JSON directly (sorted keys, UTC `Z` times, floats), byte for byte
what `schema.codec.encode_event` gives, because prefilling a million rows through pydantic
would take longer than the measurement. `check_canonical` proves the equality on a sample.
Each event is one minute after the previous one, so its derived id (time prefix + content
hash, `schema.ids`) sorts after every earlier id, as with a live exporter.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from schema.codec import decode_event, encode_event
from schema.ids import derive_event_id

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)
SYMBOL = "ESM5"
TIMEFRAME = "1m"


@dataclass(frozen=True, slots=True)
class BenchEvent:
    """One bar: the canonical payload, the id the server derives for it, and its time."""

    event_id: str
    run_id: str
    ts_utc: datetime
    payload: bytes


def bar(seq: int, run_id: str) -> BenchEvent:
    """The `seq`-th bar after EPOCH, on run `run_id`."""
    ts = EPOCH + seq * STEP
    price = 5000.0 + (seq % 400) * 0.25
    document = {
        "close": price + 0.5,
        "high": price + 1.0,
        "low": price - 0.75,
        "open": price,
        "run_id": run_id,
        "symbol": SYMBOL,
        "timeframe": TIMEFRAME,
        "ts_utc": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "type": "bar.closed",
        "version": 1,
        "volume": float(100 + seq % 50),
    }
    payload = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    return BenchEvent(derive_event_id(payload, ts), run_id, ts, payload)


def bars(start: int, count: int, runs: int = 8) -> Iterator[BenchEvent]:
    """`count` consecutive bars from `start`, spread round-robin over `runs` runs."""
    for seq in range(start, start + count):
        yield bar(seq, f"bench-run-{seq % runs}")


def check_canonical(event: BenchEvent) -> None:
    """Fail loudly if the hand-built payload is not what the product's codec would store."""
    decoded = decode_event(orjson.loads(event.payload))
    if encode_event(decoded) != event.payload:
        raise AssertionError(f"bench payload is not canonical: {event.payload!r}")
    if derive_event_id(event.payload, decoded.occurred_utc) != event.event_id:
        raise AssertionError("bench event id differs from the product's derivation")
