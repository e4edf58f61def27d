"""Dashboard users' passwords: argon2id hashes (argon2-cffi), and what a password must be.

Hashing and checking cost about 0.2 s of CPU on purpose, so callers on an event loop run them
in a thread. A login for an unknown user is checked against a dummy hash, so its answer takes
as long as a wrong password's and does not tell which usernames exist.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from schema.security.errors import WeakPassword

MIN_LENGTH = 8
MAX_LENGTH = 1024  # a bound on the work one login can ask for


def check_password_rules(password: str) -> None:
    """Refuse a password too short to resist guessing, or long enough to be a burden."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


class Passwords:
    """Hash new passwords; check a presented one against a stored hash."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None  # made on first need: it costs a hash

    @property
    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a password of anyone's")
        return self._dummy

    def hash(self, password: str) -> str:
        check_password_rules(password)
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether `password` is the one `stored_hash` was made from (None: no such user)."""
        if len(password) > MAX_LENGTH:
            return False
        try:
            self._hasher.verify(stored_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored_hash is not None
