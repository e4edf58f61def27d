"""What an API key looks like, and how it is stored and checked.

A key is `slk_<key_id>_<secret>`: the prefix lets secret scanners and the authenticator
recognise it, `key_id` (public, 12 hex digits) finds its row with one primary-key lookup,
and the secret part carries 256 random bits. The store keeps only HMAC-SHA256(pepper, key):
a copy of the table is useless without the deployment's secret, and a fast hash is enough
for a random 256-bit key (a password hash would cost every request milliseconds for no
gain). The comparison is constant-time.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "slk"
_KEY = re.compile(rf"{PREFIX}_(?P<key_id>[0-9a-f]{{12}})_(?P<secret>[A-Za-z0-9_-]{{43}})")


@dataclass(frozen=True)
class PresentedKey:
    """A string that has the shape of a key, split into its public id and the whole."""

    key_id: str
    key: str


def looks_like_key(credential: str) -> bool:
    """Whether a bearer credential is meant as an API key rather than a login token."""
    return credential.startswith(f"{PREFIX}_")


def new_key() -> PresentedKey:
    """A fresh random key."""
    key_id = secrets.token_hex(6)
    return PresentedKey(key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}")


def parse_key(credential: str) -> PresentedKey | None:
    """The key `credential` names, or None when it does not have a key's shape."""
    match = _KEY.fullmatch(credential)
    return None if match is None else PresentedKey(match["key_id"], credential)


class KeyHasher:
    """Hashes keys with the deployment's pepper and checks presented keys against hashes."""

    def __init__(self, pepper: bytes) -> None:
        self._pepper = pepper

    def hash(self, key: str) -> str:
        return hmac.new(self._pepper, key.encode(), hashlib.sha256).hexdigest()

    def matches(self, key: str, stored_hash: str) -> bool:
        return hmac.compare_digest(self.hash(key), stored_hash)
