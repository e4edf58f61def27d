"""The audit trail: one structured line per security-relevant thing, on `stratlog.audit`.

Always logged: refusals (401, 403), logins, admin-scope requests, keys created and revoked,
users created. A key's use is logged at most once a minute per key and process, so an
exporter sending thousands of requests a second leaves one line a minute, not thousands.
Lines name a key by its public `key_id` and a user by name; never a key, password, token or
secret.
"""

import time
from collections.abc import Callable

import structlog

from schema.security.principals import Principal, Scope

KEY_USE_INTERVAL_S = 60.0
_MAX_TRACKED_KEYS = 10_000

logger = structlog.get_logger("stratlog.audit")


class AuditLog:
    """Writes audit lines; remembers when each key's use was last logged."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._key_logged_at: dict[str, float] = {}

    def authentication_off(self) -> None:
        """Said once per app at start when every request is let in (`--insecure-local`)."""
        logger.warning("auth.disabled", detail="every request may read, ingest and administer")

    def refused(
        self, status: int, reason: str, *, credential: str, request: str, client: str | None
    ) -> None:
        """A 401 or 403: `credential` names what was presented (`key:<key_id>`, `token`,
        `none`), `request` is "METHOD /path", `reason` says why in a few words."""
        logger.warning(
            "auth.refused",
            status=status,
            reason=reason,
            credential=credential,
            request=request,
            client=client,
        )

    def used(self, principal: Principal, scope: Scope, *, request: str) -> None:
        """An accepted request: admin-scope ones always, a key's other uses once a minute."""
        if scope == "admin":
            logger.info("auth.admin_request", principal=principal.subject, request=request)
            return
        if principal.kind != "key":
            return
        now = self._monotonic()
        last = self._key_logged_at.get(principal.name)
        if last is not None and now - last < KEY_USE_INTERVAL_S:
            return
        if len(self._key_logged_at) >= _MAX_TRACKED_KEYS:
            self._key_logged_at.clear()
        self._key_logged_at[principal.name] = now
        logger.info("auth.key_used", principal=principal.subject, request=request)

    def key_created(self, key_id: str, scope: Scope, *, by: str) -> None:
        logger.info("auth.key_created", key_id=key_id, scope=scope, by=by)

    def key_revoked(self, key_id: str, *, by: str) -> None:
        logger.info("auth.key_revoked", key_id=key_id, by=by)

    def user_created(self, username: str, role: str, *, by: str) -> None:
        logger.info("auth.user_created", username=username, role=role, by=by)

    def login(self, username: str, *, succeeded: bool, client: str | None) -> None:
        if succeeded:
            logger.info("auth.login", username=username, client=client)
        else:
            logger.warning("auth.login_failed", username=username, client=client)
