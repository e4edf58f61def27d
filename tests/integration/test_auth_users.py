"""Dashboard users: the first registers freely and is an ADMIN, later ones need an admin;
login answers a token that carries the user's role; a token expires on the app's clock and
a tampered or foreign one is refused."""

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from schema.security.http import API_KEY_HEADER
from tests.conftest import StoreLocation
from tests.integration.auth_env import Deployment, deployment

PASSWORD = "correct horse battery"


async def register(
    deployed: Deployment, username: str, headers: dict[str, str] | None = None, **body: str
) -> tuple[int, dict[str, Any]]:
    answer = await deployed.read.post(
        "/api/auth/register",
        json={"username": username, "password": PASSWORD, **body},
        headers=headers,
    )
    return answer.status_code, answer.json()


async def login(deployed: Deployment, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers for the user (the login must succeed)."""
    answer = await deployed.read.post(
        "/api/auth/login", data={"username": username, "password": password}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "bearer"
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def statuses(deployed: Deployment, headers: dict[str, str]) -> dict[str, int]:
    """The status of one route of each class: ingest, read, admin."""
    ingest = await deployed.ingest.post("/api/v1/events", json=[], headers=headers)
    read = await deployed.read.get("/api/v1/runs", headers=headers)
    admin = await deployed.ingest.get("/api/admin/keys", headers=headers)
    return {
        "ingest": ingest.status_code,
        "read": read.status_code,
        "admin": admin.status_code,
    }


async def test_the_first_user_registers_freely_as_admin_and_later_ones_need_an_admin(
    store_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(store_location, tmp_path) as deployed:
        first = await register(deployed, "ann")
        anonymous = await register(deployed, "bob")
        by_key = await register(deployed, "bob", await deployed.key_headers("admin"))
        bob = await login(deployed, "bob")
        by_user = await register(deployed, "cy", bob)
        by_admin_user = await register(deployed, "cy", await login(deployed, "ann"), role="ADMIN")
        taken = await register(deployed, "cy", await deployed.key_headers("admin"))

    assert first[0] == 201
    assert (first[1]["role"], first[1]["created_by"]) == ("ADMIN", "first-registration")
    assert anonymous[0] == 401
    assert by_key[0] == 201
    assert by_key[1]["role"] == "USER"
    assert by_user[0] == 403
    assert (by_admin_user[0], by_admin_user[1]["role"], by_admin_user[1]["created_by"]) == (
        201,
        "ADMIN",
        "user:ann",
    )
    assert (taken[0], taken[1]["error"]["code"]) == (409, "username_taken")


async def test_a_users_token_grants_its_roles_scopes(
    store_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(store_location, tmp_path) as deployed:
        await register(deployed, "ann")
        await register(deployed, "bob", await deployed.key_headers("admin"))
        admin, user = await login(deployed, "ann"), await login(deployed, "bob")
        admin_can = await statuses(deployed, admin)
        user_can = await statuses(deployed, user)
        me = (await deployed.read.get("/api/auth/me", headers=user)).json()

    assert admin_can == {"ingest": 200, "read": 200, "admin": 200}
    assert user_can == {"ingest": 403, "read": 200, "admin": 403}
    assert me == {"kind": "user", "name": "bob", "role": "USER", "scopes": ["read"]}


async def test_a_wrong_password_and_an_unknown_user_get_the_same_refusal(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(sqlite_location, tmp_path) as deployed:
        await register(deployed, "ann")
        wrong = await deployed.read.post(
            "/api/auth/login", data={"username": "ann", "password": "not the password"}
        )
        unknown = await deployed.read.post(
            "/api/auth/login", data={"username": "nobody", "password": PASSWORD}
        )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_login"


async def test_a_token_is_refused_once_it_expires_on_the_apps_clock(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(sqlite_location, tmp_path, token_lifetime_seconds=60) as deployed:
        await register(deployed, "ann")
        token = await login(deployed, "ann")
        deployed.clock.now += timedelta(seconds=59)
        before = await deployed.read.get("/api/v1/runs", headers=token)
        deployed.clock.now += timedelta(seconds=1)
        after = await deployed.read.get("/api/v1/runs", headers=token)

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "the token has expired"


def forged_role(token: str) -> str:
    """The token with its payload's role changed to ADMIN, signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("tamper", ["role", "signature", "foreign_key", "alg_none"])
async def test_a_tampered_or_foreign_token_is_refused(
    sqlite_location: StoreLocation, tmp_path: Path, tamper: str
) -> None:
    async with deployment(sqlite_location, tmp_path) as deployed:
        await register(deployed, "ann")
        await register(deployed, "bob", await deployed.key_headers("admin"))
        token = (await login(deployed, "bob"))["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, options={"verify_signature": False})
        bad = {
            "role": forged_role(token),
            "signature": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            "foreign_key": jwt.encode(claims, "another deployment's key" * 2, algorithm="HS256"),
            "alg_none": jwt.encode(claims, None, algorithm="none"),
        }[tamper]
        answer = await deployed.ingest.get(
            "/api/admin/keys", headers={"Authorization": f"Bearer {bad}"}
        )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"


async def test_a_weak_password_is_refused_and_no_user_is_made(
    sqlite_location: StoreLocation, tmp_path: Path
) -> None:
    async with deployment(sqlite_location, tmp_path) as deployed:
        short = await deployed.read.post(
            "/api/auth/register", json={"username": "ann", "password": "short"}
        )
        first = await register(deployed, "ann")

    assert short.status_code == 422
    assert first[0] == 201  # still the first user: the refused one was not stored


async def test_a_key_asks_who_it_is(sqlite_location: StoreLocation, tmp_path: Path) -> None:
    async with deployment(sqlite_location, tmp_path) as deployed:
        key = await deployed.key("ingest")
        me = (await deployed.read.get("/api/auth/me", headers={API_KEY_HEADER: key})).json()

    assert me == {"kind": "key", "name": key.split("_")[1], "role": None, "scopes": ["ingest"]}
