"""Who a request acts as, and what it may do: scopes, roles and the principal.

A machine authenticates with an API key of one scope; a dashboard user with a token whose
role grants scopes. `admin` includes every other scope, so an operator's key or an ADMIN
user can also ingest and read. `--insecure-local` lets every request in as the local
principal, which holds every scope.
"""

from dataclasses import dataclass
from typing import Literal, get_args

Scope = Literal["ingest", "read", "admin"]
Role = Literal["ADMIN", "USER"]
PrincipalKind = Literal["key", "user", "local"]

SCOPES: tuple[Scope, ...] = get_args(Scope)
ROLES: tuple[Role, ...] = get_args(Role)
ALL_SCOPES: frozenset[Scope] = frozenset(SCOPES)

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    "ADMIN": ALL_SCOPES,
    "USER": frozenset({"read"}),
}


def scopes_granted_by(scope: Scope) -> frozenset[Scope]:
    """What a key of `scope` may do: `admin` grants everything, the others only themselves."""
    return ALL_SCOPES if scope == "admin" else frozenset({scope})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: an API key (by its public id), a user, or the local one."""

    kind: PrincipalKind
    name: str
    scopes: frozenset[Scope]
    role: Role | None = None

    @property
    def subject(self) -> str:
        """A stable id for per-caller limits and audit lines: `key:<key_id>`, `user:<name>`."""
        return f"{self.kind}:{self.name}"

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes


LOCAL = Principal(kind="local", name="insecure-local", scopes=ALL_SCOPES, role="ADMIN")
"""The caller of every request when authentication is off (`stratlog serve --insecure-local`)."""
