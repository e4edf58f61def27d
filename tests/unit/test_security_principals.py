"""Scopes and roles: `admin` holds every scope, the others only themselves; an ADMIN user
holds every scope, a USER reads."""

import pytest

from schema.security.principals import (
    LOCAL,
    ROLE_SCOPES,
    SCOPES,
    Principal,
    Scope,
    scopes_granted_by,
)


@pytest.mark.parametrize(
    ("scope", "grants"),
    [
        ("ingest", {"ingest"}),
        ("read", {"read"}),
        ("admin", {"ingest", "read", "admin"}),
    ],
)
def test_a_keys_scope_grants_itself_and_admin_grants_all(scope: Scope, grants: set[str]) -> None:
    assert scopes_granted_by(scope) == grants


def test_roles_grant_every_scope_to_admins_and_reading_to_users() -> None:
    assert {"ADMIN": frozenset(SCOPES), "USER": frozenset({"read"})} == ROLE_SCOPES


def test_a_principal_allows_what_it_holds_and_names_itself_by_kind() -> None:
    reader = Principal("key", "0123456789ab", scopes_granted_by("read"))

    assert reader.allows("read")
    assert not reader.allows("ingest")
    assert reader.subject == "key:0123456789ab"
    assert all(LOCAL.allows(scope) for scope in SCOPES)
