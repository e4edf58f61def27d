"""`stratlog verify`: exit 0 when a scratch rebuild matches the live store table for table,
1 with the tables and keys that differ after a row was tampered with."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from projector.opening import open_projector
from projector.rebuild import catch_up_until_quiet
from schema.tables.generations import DROPPED
from schema.tables.projections import executions, trades
from stratlog.cli import app
from tests.integration.rebuild_env import BACKENDS, generations, generations_env, live_store, seed
from tests.integration.worker_env import StoresEnv, store_env


async def stratlog_verify(env: StoresEnv) -> tuple[int, str]:
    """The command as an operator runs it (in a thread: it runs its own event loop)."""
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["verify", "--settle", "2"],
        env=store_env(env.settings),
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout


async def projected(env: StoresEnv, runs: int = 2) -> list[str]:
    """`runs` seeded runs (50 bars each), projected into the live generation."""
    run_ids = await seed(env, runs=runs, bars_per_run=50)
    stores = await open_projector(env.settings)
    try:
        await catch_up_until_quiet(stores.runner)
    finally:
        await stores.close()
    return run_ids


@pytest.mark.parametrize("backend", BACKENDS)
async def test_verify_exits_0_on_a_healthy_store_and_1_naming_what_was_tampered_with(
    backend: str, tmp_path: Path
) -> None:
    async with generations_env(backend, tmp_path) as env:
        runs = await projected(env)
        await check_verify(env, runs[0])


async def check_verify(env: StoresEnv, run_id: str) -> None:
    code, out = await stratlog_verify(env)
    assert code == 0, out
    assert out.splitlines()[-1] == "verify: all 20 tables identical"

    await tamper(env, run_id)
    code, out = await stratlog_verify(env)
    assert code == 1, out
    lines = out.splitlines()
    assert lines[-1] == "verify: 2 of 20 tables differ"
    assert next(line for line in lines if line.startswith("executions")).endswith("DIFFERENT")
    assert f"    run_id='{run_id}', execution_id='T-2': differs" in lines
    trades_line = next(line for line in lines if line.startswith("trades"))
    assert trades_line.split()[1:] == ["1", "2", "DIFFERENT"]
    assert any(line.endswith(": only in the rebuild") for line in lines)
    scratch = await generations(env.settings)
    assert [g.status for g in scratch] == ["live", DROPPED, DROPPED]  # scratch stores dropped


async def tamper(env: StoresEnv, run_id: str) -> None:
    async with live_store(env.settings) as store, store.writer.begin() as conn:
        await conn.execute(
            update(executions)
            .where(executions.c.run_id == run_id, executions.c.execution_id == "T-2")
            .values(price=executions.c.price + 0.25)
        )
        await conn.execute(delete(trades).where(trades.c.run_id == run_id))
