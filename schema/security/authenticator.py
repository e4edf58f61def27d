"""From a request's credential to a principal, or a refusal.

A credential is an API key (`X-API-Key`, or `Authorization: Bearer slk_…`) or a login token
(`Authorization: Bearer <JWT>`). A key is looked up in the store on every request; a token's
user is too, so a user's current role applies and a removed user is refused at once. With
authentication off (`stratlog serve --insecure-local`), every request is the local principal.
"""

from dataclasses import dataclass

from schema.security.api_keys import KeyHasher, looks_like_key, parse_key
from schema.security.audit import AuditLog
from schema.security.credentials import Clock, CredentialStore
from schema.security.errors import Forbidden, Unauthenticated
from schema.security.principals import (
    LOCAL,
    ROLE_SCOPES,
    Principal,
    Scope,
    scopes_granted_by,
)
from schema.security.secrets import derived_keys
from schema.security.tokens import TokenCodec
from schema.settings import StoreSettings


@dataclass(frozen=True)
class Presented:
    """What a request carried: the `X-API-Key` value and the `Authorization: Bearer` one."""

    api_key: str | None = None
    bearer: str | None = None

    def describe(self) -> str:
        """What was presented, for audit lines, never the secret: `key:<key_id>`, `token`,
        `malformed key` or `none`."""
        credential = self.api_key or self.bearer
        if not credential:
            return "none"
        if self.api_key or looks_like_key(credential):
            parsed = parse_key(credential)
            return "malformed key" if parsed is None else f"key:{parsed.key_id}"
        return "token"


class Authenticator:
    """Checks credentials against the store; `None` store and codec: authentication off."""

    def __init__(
        self, store: CredentialStore | None, tokens: TokenCodec | None, audit: AuditLog
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.audit = audit

    @classmethod
    def open(cls, settings: StoreSettings, *, clock: Clock) -> "Authenticator":
        """The authenticator `settings` ask for: over the log store's credentials, or off.

        Engines are made, not connected (a store not created yet is refused per request,
        503). Raises `SecretUnavailable` when authentication is on and there is no secret.
        """
        if not settings.auth_enabled:
            return cls.disabled()
        keys = derived_keys(settings)
        store = CredentialStore.open(settings, KeyHasher(keys.pepper), clock=clock)
        tokens = TokenCodec(
            keys.signing_key, lifetime_seconds=settings.token_lifetime_seconds, clock=clock
        )
        return cls(store, tokens, AuditLog())

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()

    @classmethod
    def disabled(cls, audit: AuditLog | None = None) -> "Authenticator":
        return cls(None, None, audit or AuditLog())

    @property
    def enabled(self) -> bool:
        return self.store is not None

    async def authenticate(self, presented: Presented) -> Principal:
        """The caller; `Unauthenticated` when it has no valid credential."""
        if self.store is None:
            return LOCAL
        credential = presented.api_key or presented.bearer
        if not credential:
            raise Unauthenticated("an API key (X-API-Key) or a bearer token is required")
        if presented.api_key or looks_like_key(credential):
            return await self._key(self.store, credential)
        return await self._token(self.store, credential)

    def authorize(self, principal: Principal, scope: Scope) -> None:
        """`Forbidden` unless `principal` holds `scope`."""
        if not principal.allows(scope):
            raise Forbidden(f"this route needs the {scope!r} scope")

    async def _key(self, store: CredentialStore, key: str) -> Principal:
        row = await store.check_key(key)
        if row is None:
            raise Unauthenticated("unknown API key")
        if row.revoked:
            raise Unauthenticated("the API key has been revoked")
        return Principal("key", row.key_id, scopes_granted_by(row.scope))

    async def _token(self, store: CredentialStore, token: str) -> Principal:
        if self.tokens is None:
            raise Unauthenticated("login tokens are not accepted here")
        claims = self.tokens.decode(token)
        user = await store.find_user(claims.username)
        if user is None:
            raise Unauthenticated("the token's user does not exist")
        return Principal("user", user.username, ROLE_SCOPES[user.role], role=user.role)
