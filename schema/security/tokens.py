"""Login tokens for dashboard users: JWT (PyJWT), HS256, signed with a key of the deployment.

A token names its user (`sub`) and role, and when it was issued and expires (`iat`, `exp`,
judged by the injected clock, so tests can move time). It is refused when its signature,
issuer or algorithm is not ours, a claim is missing, or it has expired.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import jwt

from schema.security.errors import Unauthenticated
from schema.security.principals import ROLES, Role

ALGORITHM = "HS256"
ISSUER = "stratlog"
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    """Seconds from issue to expiry."""


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: Role
    expires_utc: datetime


class TokenCodec:
    """Issues and checks login tokens."""

    def __init__(self, signing_key: bytes, *, lifetime_seconds: int, clock: Clock) -> None:
        self._key = signing_key
        self._lifetime = lifetime_seconds
        self._clock = clock

    def issue(self, username: str, role: Role) -> IssuedToken:
        now = int(self._clock().timestamp())
        claims = {
            "iss": ISSUER,
            "sub": username,
            "role": role,
            "iat": now,
            "exp": now + self._lifetime,
        }
        return IssuedToken(jwt.encode(claims, self._key, algorithm=ALGORITHM), self._lifetime)

    def decode(self, token: str) -> TokenClaims:
        """The claims of a valid token; `Unauthenticated` for any other."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                # Times are judged below against the injected clock, not the wall clock.
                options={
                    "require": ["iss", "sub", "role", "iat", "exp"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("the token is invalid") from exc
        expires, issued, role = claims["exp"], claims["iat"], claims["role"]
        if not (isinstance(expires, int) and isinstance(issued, int) and role in ROLES):
            raise Unauthenticated("the token is invalid")
        now = self._clock().timestamp()
        if now >= expires or issued > now + 60:
            raise Unauthenticated("the token has expired")
        return TokenClaims(str(claims["sub"]), cast(Role, role), _utc(expires))


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
