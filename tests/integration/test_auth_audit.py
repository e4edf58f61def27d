"""The audit trail: refusals, logins, admin requests and key changes are logged with the
key's public id; a key's use at most once a minute per process; and no line ever holds a
key, a password, a token or the deployment's secret."""

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from schema.security.audit import AuditLog
from schema.security.http import API_KEY_HEADER
from schema.security.principals import Principal
from tests.conftest import StoreLocation
from tests.integration.auth_env import deployment

PASSWORD = "correct horse battery"


def lines(logs: list[MutableMapping[str, Any]], event: str) -> list[MutableMapping[str, Any]]:
    return [line for line in logs if line["event"] == event]


async def test_audit_lines_name_key_ids_and_never_hold_a_secret(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    with capture_logs() as logs:
        async with deployment(sqlite_location, tmp_path) as deployed:
            admin = await deployed.key("admin")
            admin_id = admin.split("_")[1]
            for _ in range(3):
                await deployed.ingest.post(
                    "/api/v1/events", json=[], headers={API_KEY_HEADER: admin}
                )
            created = await deployed.ingest.post(
                "/api/admin/keys",
                json={"scope": "read", "name": "dash"},
                headers={API_KEY_HEADER: admin},
            )
            read_key = created.json()["key"]
            await deployed.ingest.post(
                "/api/v1/events", json=[], headers={API_KEY_HEADER: read_key}
            )
            await deployed.read.post(
                "/api/auth/register", json={"username": "ann", "password": PASSWORD}
            )
            await deployed.read.post(
                "/api/auth/login", data={"username": "ann", "password": PASSWORD + "!"}
            )
            token = (
                await deployed.read.post(
                    "/api/auth/login", data={"username": "ann", "password": PASSWORD}
                )
            ).json()["access_token"]
            await deployed.read.get("/api/v1/runs", headers={"Authorization": f"Bearer {token}"})
            await deployed.ingest.get("/api/v1/events")  # no route: 404 in ingest, unlogged
            await deployed.read.get("/api/v1/runs", headers={API_KEY_HEADER: admin[:-1] + "x"})
    secret = (tmp_path / "secret.key").read_text().strip()

    everything = repr(logs)
    for hidden in (secret, admin, read_key, PASSWORD, token, admin[:-1] + "x"):
        assert hidden not in everything
    refused = [(line["status"], line["credential"]) for line in lines(logs, "auth.refused")]
    assert refused == [(403, f"key:{created.json()['key_id']}"), (401, f"key:{admin_id}")]
    # Three ingests with the admin key: one line (the read key's ingest was refused).
    assert [line["principal"] for line in lines(logs, "auth.key_used")] == [f"key:{admin_id}"]
    assert len(lines(logs, "auth.admin_request")) == 1  # the key creation
    assert lines(logs, "auth.key_created")[0]["by"] == f"key:{admin_id}"
    assert [line["username"] for line in lines(logs, "auth.login_failed")] == ["ann"]
    assert [line["username"] for line in lines(logs, "auth.login")] == ["ann"]
    assert lines(logs, "auth.user_created")[0]["by"] == "first-registration"


def test_a_keys_use_is_logged_at_most_once_a_minute() -> None:
    now = [0.0]
    audit = AuditLog(monotonic=lambda: now[0])
    key = Principal("key", "0123456789ab", frozenset({"ingest"}))
    other = Principal("key", "ba9876543210", frozenset({"ingest"}))
    with capture_logs() as logs:
        for second in (0.0, 1.0, 59.9, 60.0, 61.0):
            now[0] = second
            audit.used(key, "ingest", request="POST /api/v1/events")
        audit.used(other, "ingest", request="POST /api/v1/events")

    used = [(line["principal"]) for line in lines(logs, "auth.key_used")]
    assert used == ["key:0123456789ab", "key:0123456789ab", "key:ba9876543210"]
