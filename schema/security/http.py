"""The FastAPI side of authentication, shared by the ingest and the read app.

`require(scope)` is the dependency a router or route puts in front of its handlers:

    router = APIRouter(dependencies=[Depends(require("read"))])

It reads the credential (`X-API-Key`, or `Authorization: Bearer` with a key or a login
token), asks the app's authenticator (`app.state.authenticator`, made in the lifespan) who
the caller is, keeps the answer in `request.state.principal` (what per-caller limits key
on), and refuses with `Unauthenticated` (401) or `Forbidden` (403), which each app's
errors.py answers with its error body. An app's lifespan enters `authentication(app, …)`
to put the authenticator there. The security schemes it declares put the credential
options into the app's OpenAPI document. `PrincipalDep` gives a handler the caller.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cache
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.models import OAuthFlowPassword, OAuthFlows
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, OAuth2

from schema.security.authenticator import Authenticator, Presented
from schema.security.credentials import Clock
from schema.security.errors import Forbidden, SecurityError, Unauthenticated
from schema.security.principals import Principal, Scope
from schema.security.rate_limits import RateLimits
from schema.settings import StoreSettings

API_KEY_HEADER = "X-API-Key"
LOGIN_PATH = "/api/auth/login"

_api_key = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ApiKey",
    description="An API key (`slk_…`, from `stratlog keys create`).",
    auto_error=False,
)
_bearer = HTTPBearer(
    scheme_name="Bearer",
    description="An API key, or a login token from " + LOGIN_PATH + ".",
    auto_error=False,
)
# Declared for Swagger's "Authorize" form: the password flow; never read (the bearer is).
_login = OAuth2(
    flows=OAuthFlows(password=OAuthFlowPassword(tokenUrl=LOGIN_PATH)),
    scheme_name="Login",
    description="A dashboard user's login (OAuth2 password flow).",
    auto_error=False,
)

ApiKeyHeader = Annotated[str | None, Depends(_api_key)]
BearerHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
LoginHeader = Annotated[str | None, Depends(_login)]

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key or token (unknown, revoked, expired or forged)."},
    403: {"description": "The credential lacks the scope or role this route needs."},
    429: {"description": "Too many requests from this caller, or failed logins from its host."},
}
"""The responses every authenticated route can give, for `responses=` on a router; each
app adds its error body model."""


@asynccontextmanager
async def authentication(
    app: FastAPI, settings: StoreSettings, *, clock: Clock
) -> AsyncIterator[Authenticator]:
    """For an app's lifespan: the authenticator `settings` ask for, on `app.state`."""
    authenticator = Authenticator.open(settings, clock=clock)
    if not authenticator.enabled:
        authenticator.audit.authentication_off()
    app.state.authenticator = authenticator
    app.state.rate_limits = RateLimits.from_settings(settings, clock)
    try:
        yield authenticator
    finally:
        await authenticator.close()


def get_authenticator(request: Request) -> Authenticator:
    return cast(Authenticator, request.app.state.authenticator)


def describe(request: Request) -> str:
    """The request as audit lines name it: "METHOD /path"."""
    return f"{request.method} {request.url.path}"


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_rate_limits(request: Request) -> RateLimits:
    return cast(RateLimits, request.app.state.rate_limits)


async def _authenticate(
    request: Request, api_key: ApiKeyHeader, bearer: BearerHeader, _login: LoginHeader
) -> Principal:
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):  # a router's `require` ran first
        return principal
    authenticator = get_authenticator(request)
    presented = Presented(api_key, bearer.credentials if bearer else None)
    limits = get_rate_limits(request)
    limits.before_authentication(client_of(request))
    try:
        principal = await authenticator.authenticate(presented)
    except Unauthenticated as exc:
        if presented.api_key or presented.bearer:  # a guess (a missing credential is none)
            limits.authentication_failed(client_of(request))
        authenticator.audit.refused(
            401,
            str(exc),
            credential=presented.describe(),
            request=describe(request),
            client=client_of(request),
        )
        raise
    limits.admit(principal.subject)
    request.state.principal = principal
    return principal


async def _optional(
    request: Request, api_key: ApiKeyHeader, bearer: BearerHeader, login: LoginHeader
) -> Principal | None:
    if api_key is None and bearer is None:
        return None
    return await _authenticate(request, api_key, bearer, login)


@cache
def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency letting in only callers that hold `scope` (`admin` holds them all)."""

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(_authenticate)]
    ) -> Principal:
        authenticator = get_authenticator(request)
        try:
            authenticator.authorize(principal, scope)
        except Forbidden as exc:
            authenticator.audit.refused(
                403,
                f"lacks the {scope} scope",
                credential=principal.subject,
                request=describe(request),
                client=client_of(request),
            )
            raise exc from None
        authenticator.audit.used(principal, scope, request=describe(request))
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


PrincipalDep = Annotated[Principal, Depends(_authenticate)]
"""The caller of a route that any valid credential may call (after a router's `require`, the
caller it let in)."""

OptionalPrincipalDep = Annotated[Principal | None, Depends(_optional)]
"""The caller, or None when the request carries no credential (a wrong one is still a 401)."""

__all__ = [
    "API_KEY_HEADER",
    "UNAUTHORIZED",
    "OptionalPrincipalDep",
    "PrincipalDep",
    "SecurityError",
    "authentication",
    "client_of",
    "describe",
    "get_authenticator",
    "get_rate_limits",
    "require",
]
