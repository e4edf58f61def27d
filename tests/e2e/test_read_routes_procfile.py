"""The Procfile's read process on PostgreSQL answers as `stratlog serve` does: the Quantower
session is posted to the ingest process, projected by an arq worker that ingest's doorbell
wakes through Redis, and read back through the read process with `min_position` (no
waiting loop): the run, its orders, fills, bars, trades, metrics, compare and raw events,
field by field (tests/e2e/read_checks.py). A dashboard's stream, opened on the read process
before the ingest, tells the run was ingested, projected and analysed."""

from pathlib import Path

import httpx
import pytest

from tests.e2e.landing import Reader, land
from tests.e2e.procfile import running_procfile
from tests.e2e.read_checks import SESSION_CHECKS
from tests.e2e.test_exporter_sessions import QUANTOWER_RUN
from tests.e2e.test_stream_serve import sse_events, until_analyzed

pytestmark = pytest.mark.postgres


async def test_the_read_process_serves_a_session_posted_to_the_ingest_process(
    tmp_path: Path,
) -> None:
    follow = {"run_id": QUANTOWER_RUN, "wait": "true"}
    async with running_procfile(tmp_path) as procfile:
        with (
            httpx.Client(base_url=procfile.read.url, timeout=10, headers=procfile.headers) as read,
            read.stream("GET", "/api/v1/stream", params=follow) as stream,
        ):
            events = sse_events(stream)
            assert next(events).event == "snapshot"
            async with httpx.AsyncClient(
                base_url=procfile.ingest.url, timeout=10, headers=procfile.headers
            ) as ingest:
                landed = await land(ingest, ("quantower",))
            reader = Reader(read, landed.head)
            for check in SESSION_CHECKS:
                check(reader, landed, "quantower")
            metrics = reader.get(f"/api/v1/runs/{QUANTOWER_RUN}/metrics")
            compared = reader.post("/api/v1/compare", {"kind": "runs", "ids": [QUANTOWER_RUN]})
            told = until_analyzed(events, QUANTOWER_RUN, landed.head)
        assert procfile.projector.process.poll() is None, procfile.projector.output()

    assert compared["rows"] == [metrics]
    assert {"ingested", "projected"} <= {event.event for event in told}
    assert told[-1].data["position"] == landed.head
