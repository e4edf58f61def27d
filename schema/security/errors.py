"""Why a request is refused for security reasons, and why the security setup cannot start.

Each app maps these classes to HTTP statuses in its own errors.py (401, 403, 409, 422, 503)
and answers with its error body; `headers` carries what the answer must have (a 401's
`WWW-Authenticate` challenge). Messages never quote a credential the client presented.
"""

from collections.abc import Mapping

CHALLENGE = 'Bearer realm="stratlog"'


class SecurityError(Exception):
    """Base of every security refusal; `code` is the stable machine-readable name."""

    code = "forbidden"
    headers: Mapping[str, str] = {}


class Unauthenticated(SecurityError):
    """No credential, or one that is unknown, revoked, expired or forged (401)."""

    code = "unauthenticated"
    headers = {"WWW-Authenticate": CHALLENGE}


class InvalidLogin(Unauthenticated):
    """A login whose username or password is wrong: one answer for both (401)."""

    code = "invalid_login"


class Forbidden(SecurityError):
    """A valid credential without the scope or role the route needs (403)."""

    code = "forbidden"


class UsernameTaken(SecurityError):
    """A user with this name exists already (409)."""

    code = "username_taken"


class WeakPassword(SecurityError):
    """A new password too short or too long (422)."""

    code = "invalid_request"


class CredentialsUnavailable(SecurityError):
    """The credentials tables cannot be read or written: the log store is down or not
    created yet (503). The driver's message is in the cause, never in the answer."""

    code = "store_unavailable"


class SecretUnavailable(Exception):
    """The deployment's secret is neither configured nor readable or creatable: the process
    cannot start."""
