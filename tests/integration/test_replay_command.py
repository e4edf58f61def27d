"""`stratlog replay` as a command: exit 0 with a summary when every event was delivered, 2
for what the operator must fix first, 1 when the target refused; a file replay is NDJSON."""

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stratlog.cli import app
from tests.integration.replay_env import RUN, logged_store, two_runs


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    await logged_store(tmp_path / "data", two_runs())
    return tmp_path / "data"


def stratlog(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_a_replay_to_a_gzip_file_exits_0_with_a_one_line_summary(
    data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run.ndjson.gz"

    code, output = stratlog("replay", RUN, "--out", str(out), "--data-dir", str(data_dir))

    assert code == 0, output
    lines = gzip.decompress(out.read_bytes()).splitlines()
    assert output.startswith(f"replayed run {RUN}: {len(lines)} events -> {out.resolve()} in ")
    assert output.count("\n") == 1
    assert stratlog("replay", RUN, "--out", str(out), "-q", "--data-dir", str(data_dir)) == (
        0,
        "",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--out", "x.ndjson"], "holds no run 'nope'"),
        ([RUN], "give exactly one of --to URL and --out FILE"),
        ([RUN, "--out", "x.ndjson", "--to", "http://127.0.0.1:9"], "exactly one of"),
        ([RUN, "--out", "x.ndjson", "--resume"], "--resume applies to --to"),
        ([RUN, "--to", "http://127.0.0.1:9", "--batch-size", "0"], "--batch-size"),
    ],
    ids=["unknown-run", "no-destination", "two-destinations", "resume-a-file", "batch-size"],
)
def test_what_the_operator_must_fix_exits_2_and_says_what(
    data_dir: Path, args: list[str], message: str
) -> None:
    code, output = stratlog("replay", *args, "--data-dir", str(data_dir))

    assert (code, message in output) == (2, True), output


def test_a_missing_data_dir_exits_2_without_creating_a_store(tmp_path: Path) -> None:
    absent = tmp_path / "absent"

    code, output = stratlog("replay", RUN, "--out", "x.ndjson", "--data-dir", str(absent))

    assert (code, "no store at" in output) == (2, True), output
    assert not absent.exists()


def test_an_output_file_that_cannot_be_written_exits_2(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "run.ndjson"

    code, output = stratlog("replay", RUN, "--out", str(out), "--data-dir", str(data_dir))

    assert (code, "replay failed: cannot write" in output) == (2, True), output


def test_an_unreachable_target_exits_1_and_points_at_resume(data_dir: Path) -> None:
    code, output = stratlog(
        "replay", RUN, "--to", "http://127.0.0.1:9", "--max-attempts", "1", "--data-dir",
        str(data_dir),
    )  # fmt: skip

    assert code == 1, output
    assert "gave up after 1 attempts (--resume continues" in output
