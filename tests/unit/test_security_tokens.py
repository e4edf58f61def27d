"""Login tokens: issued with the user's role and a lifetime, judged on the injected clock,
refused when forged, altered, signed with another key or without a signature."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from schema.security.errors import Unauthenticated
from schema.security.tokens import TokenCodec

KEY = b"k" * 32
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_a_token_carries_its_user_and_role_until_it_expires() -> None:
    clock = Clock()
    codec = TokenCodec(KEY, lifetime_seconds=600, clock=clock)
    issued = codec.issue("ann", "USER")

    clock.now = T0 + timedelta(seconds=599)
    claims = codec.decode(issued.token)
    clock.now = T0 + timedelta(seconds=600)
    with pytest.raises(Unauthenticated, match="expired"):
        codec.decode(issued.token)

    assert issued.expires_in == 600
    assert (claims.username, claims.role) == ("ann", "USER")
    assert claims.expires_utc == T0 + timedelta(seconds=600)


def test_a_token_issued_in_the_future_is_refused() -> None:
    clock = Clock()
    token = TokenCodec(KEY, lifetime_seconds=600, clock=clock).issue("ann", "USER").token
    clock.now = T0 - timedelta(minutes=5)

    with pytest.raises(Unauthenticated):
        TokenCodec(KEY, lifetime_seconds=600, clock=clock).decode(token)


def claims_of(**changes: object) -> dict[str, object]:
    now = int(T0.timestamp())
    claims: dict[str, object] = {
        "iss": "stratlog",
        "sub": "ann",
        "role": "USER",
        "iat": now,
        "exp": now + 60,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims_of(), b"o" * 32, algorithm="HS256"),
        jwt.encode(claims_of(), None, algorithm="none"),
        jwt.encode(claims_of(iss="someone else"), KEY, algorithm="HS256"),
        jwt.encode(claims_of(role="ROOT"), KEY, algorithm="HS256"),
        jwt.encode(claims_of(exp=None), KEY, algorithm="HS256"),
        jwt.encode(claims_of(sub=None), KEY, algorithm="HS256"),
        jwt.encode(claims_of(exp="tomorrow"), KEY, algorithm="HS256"),
        "not.a.token",
        "",
    ],
    ids=[
        "foreign-key",
        "unsigned",
        "other-issuer",
        "unknown-role",
        "no-expiry",
        "no-subject",
        "expiry-not-a-number",
        "garbage",
        "empty",
    ],
)
def test_a_token_we_did_not_issue_as_is_refused(token: str) -> None:
    codec = TokenCodec(KEY, lifetime_seconds=600, clock=Clock())

    with pytest.raises(Unauthenticated):
        codec.decode(token)


def test_a_token_with_its_role_raised_is_refused() -> None:
    codec = TokenCodec(KEY, lifetime_seconds=600, clock=Clock())
    header, _payload, signature = codec.issue("ann", "USER").token.split(".")
    admin_payload = jwt.encode(claims_of(role="ADMIN"), KEY, algorithm="HS256").split(".")[1]

    with pytest.raises(Unauthenticated):
        codec.decode(f"{header}.{admin_payload}.{signature}")
