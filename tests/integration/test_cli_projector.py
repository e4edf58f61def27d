"""`stratlog projector resume` clears a halted partition in a real projection store."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from projector.store import ProjectionStore
from stratlog.cli import app


async def _halted_store(data_dir: Path, partition: str) -> None:
    data_dir.mkdir()
    store = await ProjectionStore.open(f"sqlite+aiosqlite:///{data_dir / 'projections.sqlite3'}")
    try:
        async with store.writer.begin() as conn:
            await store.ensure_partitions(conn, {partition: 7}, datetime.now(UTC))
            await store.halt(conn, partition, 5, "event-5", "cannot apply: boom")
    finally:
        await store.close()


async def _halt_of(data_dir: Path, partition: str) -> int | None:
    store = await ProjectionStore.open(f"sqlite+aiosqlite:///{data_dir / 'projections.sqlite3'}")
    try:
        checkpoint = await store.checkpoint(partition)
        assert checkpoint is not None
        return checkpoint.halted_position
    finally:
        await store.close()


def test_resume_clears_the_halt_and_a_second_resume_says_there_is_nothing_to_do(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    asyncio.run(_halted_store(data_dir, "run-1"))
    runner = CliRunner()

    first = runner.invoke(app, ["projector", "resume", "run-1", "--data-dir", str(data_dir)])
    assert first.exit_code == 0, first.output
    assert "resumed" in first.output
    assert asyncio.run(_halt_of(data_dir, "run-1")) is None

    second = runner.invoke(app, ["projector", "resume", "run-1", "--data-dir", str(data_dir)])
    assert second.exit_code == 1
    assert "not halted" in second.output
