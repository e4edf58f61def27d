"""The generator streams: memory stays flat however many events it yields.

60k events under tracemalloc (which slows allocation several times over) are enough: kept,
they would take some 50 MiB, ten times the limit.
"""

import tracemalloc

from stratlog.simulation import generate_sessions

EVENTS = 60_000
PEAK_LIMIT = 4 * 1024 * 1024  # the open orders of 8 runs and their arrival buffers: KiB


def test_generating_many_events_keeps_memory_flat() -> None:
    tracemalloc.start()
    try:
        count = sum(1 for _ in generate_sessions(3, runs=8, events_per_run=EVENTS // 8))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count >= EVENTS
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
