"""`stratlog serve --demo`: replay the bundled exporter sessions and say what landed.

Each recorded session is posted call by call to the running server's own compat endpoints,
as the exporter sent it (the run id `POST /api/runs/start` assigns is stamped on the later
calls, as the NuGet client does), then posted a second time, as a retrying client
would: the second pass must append nothing and report every event as a duplicate. Event
types are read back from the log by position, because the responses carry positions only.
Then a generated session (stratlog.simulation: several runs trading brackets at once, some
fills arriving before their orders) goes to the canonical endpoint in batches. Then it
waits (bounded) for the in-process projector and shows, through the read API, the trades
and headline metrics it reconstructed for each run. It authenticates as any client must,
with the admin key the first start wrote.
"""

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ingest_api.log_store import EventLog, open_event_log
from ingest_api.settings import IngestSettings
from schema.security.http import API_KEY_HEADER
from schema.storage import is_sqlite
from stratlog.credential_store import opened_credentials
from stratlog.embedded import log_store_for_display
from stratlog.first_start import admin_key_path
from stratlog.samples import SESSION_NAMES, RecordedCall, load_session
from stratlog.simulation import generate_sessions

Echo = Callable[[str], None]
PROJECTION_WAIT_S = 15.0
SIMULATION_SEED, SIMULATION_RUNS, SIMULATION_EVENTS_PER_RUN = 7, 3, 400
SIMULATION_BATCH = 200
TRADES_SHOWN = 5  # per run: a generated run closes dozens


class DemoError(RuntimeError):
    """The server answered a recorded call in a way no exporter can work with."""


@dataclass
class Tally:
    """What the answers to one pass over a session reported."""

    accepted: list[int] = field(default_factory=list)  # positions appended by this pass
    duplicates: int = 0
    quarantined: list[str] = field(default_factory=list)  # one line per refused item

    def add(self, answer: Mapping[str, Any]) -> None:
        """Count one response body: a batch report, one item, or a run start/stop."""
        items = answer.get("items")
        for item in items if isinstance(items, list) else [answer]:
            status = item.get("status")
            if status == "accepted" or item.get("duplicate") is False:
                self.accepted.append(int(item["position"]))
            elif status == "duplicate" or item.get("duplicate") is True:
                self.duplicates += 1
            elif status in ("rejected", "conflict"):
                errors = "; ".join(f"{e['field']}: {e['message']}" for e in item.get("errors", []))
                self.quarantined.append(f"item {item.get('index')} {status}: {errors}")


async def run_demo(base_url: str, *, settings: IngestSettings, echo: Echo) -> None:
    """Post every bundled session twice to `base_url` and echo a summary of each pass."""
    echo(f"\nstratlog demo: replaying recorded exporter sessions to {base_url}")
    log = await _open_log(settings)
    try:
        headers = await _credential(settings)
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0, headers=headers) as client:
            for name in SESSION_NAMES:
                calls = load_session(name)
                first, run_id = await _post_session(client, calls)
                again, _ = await _post_session(client, calls)
                types = await _types_at(log, first.accepted)
                echo(_describe(name, len(calls), run_id, first, again, types))
            echo(await _post_simulation(client))
            head = await log.head()
            await _show_projections(client, echo)
    finally:
        await log.close()
    echo(f"\nThe log holds {head} events ({log_store_for_display(settings)}).")
    echo(f"Still serving on {base_url} (OpenAPI at {base_url}/docs); Ctrl-C to stop.\n")


async def _show_projections(client: httpx.AsyncClient, echo: Echo) -> None:
    """Each run's trades and metrics once the projector has caught up (or say it has not)."""
    deadline = asyncio.get_running_loop().time() + PROJECTION_WAIT_S
    runs: list[str] = []
    while asyncio.get_running_loop().time() < deadline:
        status = (await client.get("/api/status")).json()
        runs = [p["partition"] for p in status["partitions"] if p["partition"] != "catalog"]
        caught_up = status["totals"]["lag_events"] == 0
        metrics = [(await client.get(f"/api/v1/runs/{run}/metrics")).json() for run in runs]
        if runs and caught_up and all(m.get("computed_position") for m in metrics):
            break
        await asyncio.sleep(0.2)
    else:
        echo(
            f"\nThe projector has not caught up within {PROJECTION_WAIT_S:.0f} s; see /api/status."
        )
        return
    echo("\nProjected by the in-process projector (read API):")
    for run, figures in zip(runs, metrics, strict=True):
        trades = (await client.get(f"/api/runs/{run}/trades")).json()["items"]
        echo(
            f"  run {run}: {figures['trades']} closed trade(s), net PnL {figures['net_pnl']:.2f}"
            f" after {figures['fees']:.2f} fees, win rate {_percent(figures['win_rate'])}"
        )
        for trade in trades[:TRADES_SHOWN]:
            echo(
                f"    {trade['side']:<5} {trade['quantity']:g} {trade['symbol']}"
                f" {trade['entry_price']:.2f} -> {trade['exit_price']:.2f}"
                f"  net {trade['pnl_net']:.2f}  ({trade['duration_seconds']:.0f} s)"
            )
        if len(trades) > TRADES_SHOWN:
            echo(f"    ... and {len(trades) - TRADES_SHOWN} more")
    echo("  GET /api/runs/{run_id}/trades, /api/v1/runs/{run_id}/metrics, /api/status")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


async def _post_session(
    client: httpx.AsyncClient, calls: Sequence[RecordedCall]
) -> tuple[Tally, str | None]:
    tally = Tally()
    assigned: str | None = None
    for recorded in calls:
        call = recorded.with_run_id(assigned) if assigned else recorded
        response = await client.request(
            call.method, call.path, json=call.body, headers=dict(call.headers)
        )
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = None
        if (
            not isinstance(answer, dict)
            or response.is_server_error
            or (response.is_error and "items" not in answer)
        ):
            raise DemoError(f"{call.method} {call.path} -> {response.status_code}: {response.text}")
        tally.add(answer)
        if call.assigns_run_id:
            assigned = str(answer["run_id"])
    return tally, assigned


async def _post_simulation(client: httpx.AsyncClient) -> str:
    """Post a generated session to `POST /api/v1/events` in batches; what landed."""
    tally = Tally()
    batch: list[dict[str, Any]] = []
    events = generate_sessions(SIMULATION_SEED, SIMULATION_RUNS, SIMULATION_EVENTS_PER_RUN)
    for event in events:
        batch.append(event)
        if len(batch) == SIMULATION_BATCH:
            tally.add(await _post_batch(client, batch))
            batch = []
    if batch:
        tally.add(await _post_batch(client, batch))
    lines = [
        f"\ngenerated session (stratlog.simulation: seed {SIMULATION_SEED}, {SIMULATION_RUNS} "
        f"runs of ~{SIMULATION_EVENTS_PER_RUN} events) to POST /api/v1/events",
        f"  accepted    {len(tally.accepted)} events, quarantined {len(tally.quarantined)}",
        *(f"    {line}" for line in tally.quarantined[:TRADES_SHOWN]),
    ]
    return "\n".join(lines)


async def _post_batch(client: httpx.AsyncClient, batch: list[dict[str, Any]]) -> Mapping[str, Any]:
    response = await client.post("/api/v1/events", json=batch)
    if response.status_code != 200:
        raise DemoError(f"POST /api/v1/events -> {response.status_code}: {response.text}")
    answer: Mapping[str, Any] = response.json()
    return answer


async def _credential(settings: IngestSettings) -> dict[str, str]:
    """The first start's admin key (`<data-dir>/admin.key`); if it was removed, a new one
    named "demo" (the demo both ingests and reads). None is needed with auth off."""
    if not settings.auth_enabled:
        return {}
    path = admin_key_path(settings)
    if path.is_file():
        return {API_KEY_HEADER: path.read_text(encoding="ascii").strip()}
    async with opened_credentials(settings) as store:
        created = await store.create_key("admin", "demo", created_by="serve --demo")
    return {API_KEY_HEADER: created.key}


async def _open_log(settings: IngestSettings) -> EventLog:
    url = settings.resolved_log_url()
    return await open_event_log(
        url,
        synchronous=settings.sqlite_synchronous,
        pg_schema=None if is_sqlite(url) else settings.log_pg_schema,
    )


async def _types_at(log: EventLog, positions: Sequence[int]) -> Counter[str]:
    """How many events of each type sit at `positions`."""
    if not positions:
        return Counter()
    wanted = set(positions)
    low, high = min(wanted), max(wanted)
    stored = await log.read(after=low - 1, limit=high - low + 1)
    return Counter(e.event_type for e in stored if e.position in wanted)


def _describe(
    name: str,
    calls: int,
    run_id: str | None,
    first: Tally,
    again: Tally,
    types: Counter[str],
) -> str:
    assigned = f", run id assigned by the server: {run_id}" if run_id else ""
    lines = [f"\n{name} ({calls} calls{assigned})"]
    if first.accepted:
        span = f"positions {min(first.accepted)}-{max(first.accepted)}"
        lines.append(f"  accepted    {len(first.accepted)} events at {span}")
        lines.extend(f"    {count:>4}  {event_type}" for event_type, count in sorted(types.items()))
    else:
        lines.append("  accepted    0 events (all were already in the log)")
    if first.duplicates:
        lines.append(f"  duplicates  {first.duplicates} (already in the log before this pass)")
    lines.append(f"  quarantined {len(first.quarantined)}")
    lines.extend(f"    {line}" for line in first.quarantined)
    lines.append(
        f"  sent again  {again.duplicates} reported as duplicates, "
        f"{len(again.accepted)} appended, {len(again.quarantined)} quarantined"
    )
    return "\n".join(lines)
