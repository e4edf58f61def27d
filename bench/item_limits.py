"""What the ingest item limits cost (docs/security.md): splitting a body into items with the
limits checked, against the same split without them, measured in the same run.

Bodies are 1,000 items taken from both exporters' recorded sessions, as a JSON array and as
NDJSON; and bars carrying a `volumetric_json` object of 50 price levels, the case where the
depth check walks the item (with, for scale, what decoding one such bar costs). Best of
interleaved repetitions, per item. Not part of the suite: `.venv/bin/python -m bench.item_limits`.
"""

import timeit
from typing import Any

import orjson

from ingest_api.body import ItemLimits, item_of, split_items
from ingest_api.compat import ItemKind
from ingest_api.items import compat_item
from ingest_api.settings import IngestSettings
from stratlog.samples import SESSION_NAMES, load_session

ITEMS = 1000
REPETITIONS = 15


def sample_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for name in SESSION_NAMES:
        for call in load_session(name):
            body = call.body if isinstance(call.body, list) else [call.body]
            items.extend(item for item in body if isinstance(item, dict))
    return items


def volumetric_bars(bars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    levels = [{"price": 5700 + i * 0.25, "bid": i, "ask": i + 1} for i in range(50)]
    return [{**bar, "volumetric_json": {"levels": levels}} for bar in bars]


def per_item_ns(body: bytes, content_type: str, limits: ItemLimits | None) -> float:
    runs = timeit.repeat(lambda: split_items(body, content_type, ITEMS, limits), number=5, repeat=3)
    return min(runs) / 5 / ITEMS * 1e9


def main() -> None:
    settings = IngestSettings()
    limits = ItemLimits(settings.max_item_bytes, settings.max_item_depth)
    items = sample_items()
    bars = [item for item in items if "close" in item]
    cases = {
        "exporter items, JSON array": (orjson.dumps((items * ITEMS)[:ITEMS]), "application/json"),
        "exporter items, NDJSON": (
            b"\n".join(orjson.dumps(item) for item in (items * ITEMS)[:ITEMS]),
            "application/x-ndjson",
        ),
        "bars with volumetric_json": (
            orjson.dumps((volumetric_bars(bars) * ITEMS)[:ITEMS]),
            "application/json",
        ),
    }
    best: dict[tuple[str, bool], float] = {}
    for _ in range(REPETITIONS):
        for name, (body, content_type) in cases.items():
            for checked in (False, True):
                ns = per_item_ns(body, content_type, limits if checked else None)
                best[name, checked] = min(best.get((name, checked), ns), ns)
    bar = item_of(volumetric_bars(bars)[0], limits)
    decode = timeit.repeat(lambda: compat_item(bar, 0, "bench", ItemKind.BAR), number=100)
    print(f"decoding one bar with volumetric_json: {min(decode) / 100 * 1e9:,.0f} ns")
    print(f"split_items, ns per item, best of {REPETITIONS} (limits: {limits})")
    print("| body | without limits (baseline) | with limits | cost per item | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name in cases:
        without, with_limits = best[name, False], best[name, True]
        print(
            f"| {name} | {without:,.0f} | {with_limits:,.0f} | {with_limits - without:,.0f} "
            f"| {with_limits / without:.2f} |"
        )


if __name__ == "__main__":
    main()
