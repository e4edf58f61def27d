"""A revoked key is refused from the very next request, by every process of the deployment
(keys are looked up in the store per request, never cached), whether it was revoked over
HTTP or with `stratlog keys revoke`; keys are managed over HTTP with the admin scope."""

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schema.security.http import API_KEY_HEADER
from stratlog.cli import app as stratlog
from tests.conftest import StoreLocation
from tests.integration.auth_env import Deployment, deployment


async def revoke(deployed: Deployment, how: str, key_id: str) -> None:
    if how == "http":
        answer = await deployed.ingest.delete(
            f"/api/admin/keys/{key_id}", headers=await deployed.key_headers("admin")
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["revoked_utc"] is not None
        return
    env = {
        "STRATLOG_LOG_URL": deployed.stores["log_url"],
        "STRATLOG_LOG_PG_SCHEMA": deployed.stores["log_pg_schema"],
    }
    args = ["keys", "revoke", key_id, "--data-dir", str(deployed.stores["data_dir"])]
    result = await asyncio.to_thread(CliRunner().invoke, stratlog, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Revoked read key {key_id} ")


@pytest.mark.parametrize("how", ["http", "cli"])
async def test_a_revoked_key_is_refused_at_once_by_every_process(
    store_location: StoreLocation, tmp_path: Path, how: str
) -> None:
    async with deployment(store_location, tmp_path) as deployed:
        key = await deployed.key("read")
        headers = {API_KEY_HEADER: key}
        async with deployed.another_read_app() as other:
            before = [
                (await deployed.read.get("/api/v1/runs", headers=headers)).status_code,
                (await other.get("/api/v1/runs", headers=headers)).status_code,
            ]
            await revoke(deployed, how, key.split("_")[1])
            after = [
                (await deployed.read.get("/api/v1/runs", headers=headers)).status_code,
                (await other.get("/api/v1/runs", headers=headers)).status_code,
            ]
            refusal = (await other.get("/api/v1/runs", headers=headers)).json()

    assert before == [200, 200]
    assert after == [401, 401]
    assert refusal["error"]["message"] == "the API key has been revoked"


async def test_keys_are_created_listed_and_revoked_over_http_and_shown_only_once(
    store_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(store_location, tmp_path) as deployed:
        admin = await deployed.key_headers("admin")
        created = await deployed.ingest.post(
            "/api/admin/keys", json={"scope": "ingest", "name": "exporter-7"}, headers=admin
        )
        new = created.json()
        posted = await deployed.ingest.post(
            "/api/v1/events", json=[], headers={API_KEY_HEADER: new["key"]}
        )
        listed = (await deployed.ingest.get("/api/admin/keys", headers=admin)).json()["items"]
        unknown = await deployed.ingest.delete("/api/admin/keys/0123456789ab", headers=admin)
        refused = await deployed.ingest.post(
            "/api/admin/keys", json={"scope": "root", "name": "x"}, headers=admin
        )

    assert created.status_code == 201
    assert (new["scope"], new["name"], new["revoked_utc"]) == ("ingest", "exporter-7", None)
    assert new["created_by"] == f"key:{admin[API_KEY_HEADER].split('_')[1]}"
    assert new["key"].startswith(f"slk_{new['key_id']}_")
    assert posted.status_code == 200
    mine = next(item for item in listed if item["key_id"] == new["key_id"])
    assert "key" not in mine
    assert new["key"] not in str(listed)
    assert all("hash" not in name for item in listed for name in item)
    assert unknown.status_code == 404
    assert refused.status_code == 422
