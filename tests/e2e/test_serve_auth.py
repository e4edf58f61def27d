"""`stratlog serve` with authentication, as a user meets it: the first start prints an admin
key once and keeps it in a 0600 file, later starts reuse it; `--insecure-local` turns
authentication off on loopback only; the deployment's secret never reaches the output."""

import stat
import subprocess
from pathlib import Path

import httpx

from tests.e2e.serving import STRATLOG, admin_headers, free_port, stratlog_serve

FIRST_START = "First start: created an admin API key"


def test_the_first_start_prints_an_admin_key_once_and_keeps_it_in_a_0600_file(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    outputs, answers = [], []
    for start in range(2):
        port = free_port()
        args = ("--data-dir", str(data_dir), "--port", str(port))
        with stratlog_serve(*args, port=port, logs=tmp_path / f"start-{start}") as server:
            for headers in ({}, admin_headers(data_dir)):
                answers.append(httpx.get(f"{server.url}/api/v1/runs", headers=headers, timeout=30))
        outputs.append(server.output())

    key_file = data_dir / "admin.key"
    key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [answer.status_code for answer in answers] == [401, 200, 401, 200]
    assert FIRST_START in outputs[0]
    assert outputs[0].count(key) == 1
    assert FIRST_START not in outputs[1]
    assert key not in outputs[1]
    secret = (data_dir / "secret.key").read_text().strip()
    assert all(secret not in output for output in outputs)


def test_insecure_local_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(STRATLOG), "serve", "--insecure-local", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "not a loopback address: refusing to serve" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no data directory, no key, no secret


def test_insecure_local_serves_everything_without_a_key_on_loopback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    args = ("--insecure-local", "--data-dir", str(data_dir), "--port", str(port))
    with stratlog_serve(*args, port=port, logs=tmp_path) as server:
        ingested = httpx.post(f"{server.url}/api/v1/events", json=[], timeout=30)
        read = httpx.get(f"{server.url}/api/v1/runs", timeout=30)
        me = httpx.get(f"{server.url}/api/auth/me", timeout=30).json()

    assert (ingested.status_code, read.status_code) == (200, 200)
    assert me["kind"] == "local"
    assert "AUTHENTICATION IS OFF" in server.output()
    assert not (data_dir / "admin.key").exists()
