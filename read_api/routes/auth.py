"""Dashboard users: `POST /api/auth/register`, `POST /api/auth/login`, `GET /api/auth/me`.

Login is the OAuth2 password flow (a form with `username` and `password`) and answers a
bearer token (JWT) that every read route accepts in `Authorization: Bearer`. Registration
needs an admin's credential, except for a deployment's first user (schema/security/accounts).
With authentication off (`--insecure-local`) there are no users: register and login are 409.
"""

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field, SecretStr
from starlette.exceptions import HTTPException

from read_api.errors import ErrorBody
from read_api.routes.documented import DocumentedRoute
from schema.security.accounts import USERNAME_PATTERN, Accounts
from schema.security.http import (
    LOGIN_PATH,
    OptionalPrincipalDep,
    PrincipalDep,
    client_of,
    get_authenticator,
    get_rate_limits,
)
from schema.security.principals import PrincipalKind, Role, Scope

router = APIRouter(tags=["auth"], route_class=DocumentedRoute)


class RegisterRequest(BaseModel):
    """A user to add."""

    username: str = Field(pattern=USERNAME_PATTERN, description="1-64 letters, digits, . _ @ -")
    password: SecretStr = Field(description="8 to 1024 characters.")
    role: Role | None = Field(None, description="Default: ADMIN for the first user, else USER.")


class UserInfo(BaseModel):
    username: str
    role: Role
    created_utc: datetime
    created_by: str


class Token(BaseModel):
    """A login: send `Authorization: Bearer <access_token>` until it expires."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="Seconds the token stays valid.")


class Caller(BaseModel):
    """Who the credential of the request is, and what it may do."""

    kind: PrincipalKind
    name: str = Field(description="The key's id, the user's name, or insecure-local.")
    role: Role | None
    scopes: list[Scope]


async def get_accounts(request: Request) -> Accounts:
    authenticator = get_authenticator(request)
    if authenticator.store is None or authenticator.tokens is None:
        raise HTTPException(HTTPStatus.CONFLICT, "authentication is off: there are no users")
    return Accounts(authenticator.store, authenticator.tokens, authenticator.audit)


AccountsDep = Annotated[Accounts, Depends(get_accounts)]


def _documented(ok: int, model: type[BaseModel], text: str, **errors: str) -> dict[int | str, Any]:
    documented: dict[int | str, Any] = {ok: {"model": model, "description": text}}
    for status, description in errors.items():
        documented[int(status[1:])] = {"model": ErrorBody, "description": description}
    return documented


_REGISTER = _documented(
    201,
    UserInfo,
    "Registered.",
    s400="The body cannot be read as JSON text.",
    s401="No credential (and users exist), or an invalid one.",
    s403="The credential is not an admin's.",
    s409="The username is taken, or authentication is off.",
    s413="The body is over the size limit.",
    s503="The credentials cannot be written.",
)
_LOGIN = _documented(
    200,
    Token,
    "Logged in.",
    s400="The form cannot be read.",
    s401="Wrong username or password.",
    s409="Authentication is off.",
    s413="The body is over the size limit.",
    s429="Too many failed logins from this address: retry after Retry-After seconds.",
    s503="The credentials cannot be read.",
)
_ME = _documented(200, Caller, "The caller.", s401="No valid credential.")


@router.post(
    "/api/auth/register",
    status_code=HTTPStatus.CREATED,
    response_model=UserInfo,
    responses=_REGISTER,
)
async def register(
    body: RegisterRequest, accounts: AccountsDep, caller: OptionalPrincipalDep
) -> UserInfo:
    """Add a dashboard user (admins only, or anyone for the first user)."""
    user = await accounts.register(
        body.username, body.password.get_secret_value(), body.role, by=caller
    )
    return UserInfo(
        username=user.username,
        role=user.role,
        created_utc=user.created_utc,
        created_by=user.created_by,
    )


@router.post(LOGIN_PATH, response_model=Token, responses=_LOGIN)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, accounts: AccountsDep
) -> Token:
    """Log in with a username and password (OAuth2 password form); answers a bearer token."""
    with get_rate_limits(request).attempt(client_of(request)):  # slows password guessing
        issued = await accounts.login(form.username, form.password, client=client_of(request))
    return Token(access_token=issued.token, expires_in=issued.expires_in)


@router.get("/api/auth/me", response_model=Caller, responses=_ME)
async def me(caller: PrincipalDep) -> Caller:
    """Who the request's credential is: key or user, role and scopes."""
    return Caller(
        kind=caller.kind, name=caller.name, role=caller.role, scopes=sorted(caller.scopes)
    )
