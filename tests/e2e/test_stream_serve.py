"""`stratlog serve` as a user runs it: a dashboard's live stream sees a run ingested through
the canonical endpoint, then projected by the in-process projector, then analysed; and the
server stops promptly while streams are still open."""

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.e2e.serving import admin_headers, free_port, stratlog_serve, wait_until_answering
from tests.fixtures.sessions import analytics_session
from tests.integration.sse_client import Sse, SseParser

RUN = "e2e-stream-run"
STOP_WITHIN_S = 5.0


def sse_events(response: httpx.Response) -> Iterator[Sse]:
    """The events of a streaming response (comments skipped), until the server ends it."""
    parser = SseParser()
    for line in response.iter_lines():
        event = parser.feed(line)
        if event is not None and event.comment is None:
            yield event


def until_analyzed(events: Iterator[Sse], run_id: str, position: int) -> list[Sse]:
    """Events up to the one telling `run_id`'s analytics reached `position`."""
    seen = []
    for event in events:
        seen.append(event)
        data = event.data
        if (event.event, data["run_id"], data["analytics_position"]) == (
            "analyzed",
            run_id,
            position,
        ):
            return seen
    raise AssertionError(f"the stream ended first: {[e.event for e in seen]}")


def test_a_dashboards_stream_sees_a_run_ingested_projected_and_analyzed(tmp_path: Path) -> None:
    session = analytics_session(RUN)
    port = free_port()
    with (
        stratlog_serve(
            "--data-dir", str(tmp_path / "data"), "--port", str(port), port=port, logs=tmp_path
        ) as server,  # fmt: skip
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        wait_until_answering(server, "stratlog serve")
        client.headers.update(admin_headers(tmp_path / "data"))
        one_run = {"run_id": RUN, "wait": "true"}
        with (
            client.stream("GET", "/api/v1/stream", params=one_run) as run_response,
            client.stream("GET", "/api/v1/stream") as all_response,
        ):
            run_stream, all_stream = sse_events(run_response), sse_events(all_response)
            assert next(run_stream).event == "snapshot"
            assert next(all_stream).event == "snapshot"

            posted = client.post("/api/v1/events", json=session)
            assert posted.status_code == 200, posted.text
            items = posted.json()["items"]
            last = max(i["position"] for i in items if session[i["index"]].get("run_id") == RUN)

            told = until_analyzed(run_stream, RUN, last)
            kinds = [e.event for e in told]
            assert (kinds[0], told[0].data["log_position"]) == ("ingested", last)
            assert "projected" in kinds
            assert told[-1].data == {
                "run_id": RUN,
                "log_position": last,
                "position": last,
                "analytics_position": last,
                "halted": None,
            }
            everyone = until_analyzed(all_stream, RUN, last)
            assert {"ingested", "projected"} <= {
                e.event for e in everyone if e.data["run_id"] == RUN
            }

            stopping = time.monotonic()
            server.process.terminate()
            try:
                server.process.wait(timeout=STOP_WITHIN_S)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"still serving open streams:\n{server.output()}") from None
            assert time.monotonic() - stopping < STOP_WITHIN_S
            assert (list(run_stream), list(all_stream)) == ([], [])  # ended, not cut
    assert "Exception in ASGI application" not in server.output()
