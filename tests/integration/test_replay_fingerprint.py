"""Fingerprints of real projection stores: two stores that projected a run's events at other
log positions agree on that run, table by table; a changed row shows in its table only."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import update

from ingest_api.log_store import NewEvent, StoredEvent
from replay.fingerprint import Fingerprint, differences, fingerprint
from schema.tables.projections import orders
from tests.integration.log_events import bar_event
from tests.integration.projection_env import ProjectionEnv, projection_env
from tests.integration.replay_env import RUN, two_runs
from tests.integration.test_replay_to_file import expected_for


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[ProjectionEnv, ProjectionEnv]]:
    async with AsyncExitStack() as stack:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        a = await stack.enter_async_context(projection_env(request.param, tmp_path / "a"))
        b = await stack.enter_async_context(projection_env(request.param, tmp_path / "b"))
        yield a, b


def copied(event: StoredEvent) -> NewEvent:
    """The event as a replay hands it to another stratlog: same id, same payload."""
    return NewEvent(
        event.event_id,
        event.event_type,
        event.schema_version,
        event.run_id,
        event.event_utc,
        event.payload,
        source="/api/v1/events",
    )


async def settled(env: ProjectionEnv) -> Fingerprint:
    for _ in range(2):  # the catalog's analytics may re-analyze runs caught up before it
        await env.catch_up_all()
    return await fingerprint(env.store.reader, run_id=RUN)


async def test_a_run_projected_at_other_positions_has_the_same_fingerprint(
    pair: tuple[ProjectionEnv, ProjectionEnv],
) -> None:
    a, b = pair
    await a.append(two_runs())
    run_events = expected_for(await a.log.read(limit=10_000), RUN)
    await b.log.append([bar_event(n, run_id="filler") for n in range(7)])  # shifts positions
    await b.log.append([copied(event) for event in run_events])

    in_a, in_b = await settled(a), await settled(b)

    assert [e.position for e in await b.log.read_run(RUN)] != [
        e.position for e in run_events if e.run_id == RUN
    ]
    assert differences(in_a, in_b) == []
    assert in_a == in_b
    rows = {name: table.rows for name, table in in_a.tables.items()}
    assert rows["strategies"] == rows["strategy_instances"] == rows["instruments"] == 1
    assert min(rows[name] for name in ("orders", "executions", "bars", "trades")) > 0
    assert "instance_metrics" not in rows  # an aggregate over other runs too
    whole_a, whole_b = await fingerprint(a.store.reader), await fingerprint(b.store.reader)
    assert {line.split(":")[0] for line in differences(whole_a, whole_b)} >= {
        "strategy_runs",
        "instance_metrics",
    }


async def test_a_changed_row_shows_in_its_table_and_nowhere_else(
    pair: tuple[ProjectionEnv, ProjectionEnv],
) -> None:
    a, b = pair
    await a.append(two_runs())
    await b.append(two_runs())
    before = await settled(b)
    async with b.store.writer.begin() as conn:
        tampered = update(orders).where(orders.c.run_id == RUN, orders.c.order_id == "1001")
        await conn.execute(tampered.values(price=1.0))

    [line] = differences(await settled(a), await fingerprint(b.store.reader, run_id=RUN))

    assert line.startswith("orders: ")
    assert before == await settled(a)
