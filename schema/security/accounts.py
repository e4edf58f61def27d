"""Dashboard users: registering them and logging them in (a password for a token).

Registration is for admins (an ADMIN user or an admin key), except the very first user of a
deployment, whom anyone reachable may register (then an ADMIN unless asked otherwise): a
fresh deployment has no one to ask. A login checks the password (argon2, in a thread: it
costs ~0.2 s of CPU) and answers a token; a wrong username and a wrong password get the
same refusal in the same time.
"""

import asyncio

from schema.security.audit import AuditLog
from schema.security.credentials import CredentialStore, UserRecord
from schema.security.errors import Forbidden, InvalidLogin, Unauthenticated
from schema.security.passwords import Passwords, check_password_rules
from schema.security.principals import Principal, Role
from schema.security.tokens import IssuedToken, TokenCodec

PASSWORDS = Passwords()
USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"


class Accounts:
    """Users over the credential store, tokens from the codec."""

    def __init__(
        self,
        store: CredentialStore,
        tokens: TokenCodec,
        audit: AuditLog,
        passwords: Passwords = PASSWORDS,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._audit = audit
        self._passwords = passwords

    async def register(
        self, username: str, password: str, role: Role | None, *, by: Principal | None
    ) -> UserRecord:
        """Add a user. `by` is the caller (None: no credential): it must hold `admin`, unless
        this is the first user. Without a `role`: ADMIN for the first user, USER after."""
        check_password_rules(password)
        if by is not None and not by.allows("admin"):
            raise Forbidden("registering users needs the admin scope")
        first = await self._store.count_users() == 0
        if by is None and not first:
            raise Unauthenticated("registering users needs an admin's credential")
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        creator = by.subject if by is not None else "first-registration"
        user = await self._store.create_user(
            username,
            password_hash,
            role or ("ADMIN" if first else "USER"),
            created_by=creator,
            only_if_first=by is None,
        )
        if user is None:  # another first registration won the race
            raise Unauthenticated("registering users needs an admin's credential")
        self._audit.user_created(user.username, user.role, by=creator)
        return user

    async def login(self, username: str, password: str, *, client: str | None) -> IssuedToken:
        """A token for the user, or `InvalidLogin`."""
        user = await self._store.find_user(username)
        stored = user.password_hash if user is not None else None
        valid = await asyncio.to_thread(self._passwords.verify, stored, password)
        self._audit.login(username, succeeded=valid, client=client)
        if user is None or not valid:
            raise InvalidLogin("wrong username or password")
        return self._tokens.issue(user.username, user.role)
