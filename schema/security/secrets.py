"""The deployment's secret, and the keys derived from it for each use.

One secret per deployment: `STRATLOG_SECRET_KEY` when set (required when processes on
several hosts share a PostgreSQL log store), otherwise `<data_dir>/secret.key`, generated on
first use with mode 0600. Two processes starting together on one data directory race to
create it: the file is written under a temporary name and linked into place, which fails
for the loser, who then reads the winner's. From the secret, HMAC with a label derives one
sub-key per purpose (the API-key pepper, the token signing key), so neither can stand in for
the other. The secret is never logged or shown.
"""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from schema.security.errors import SecretUnavailable
from schema.settings import StoreSettings

SECRET_FILE = "secret.key"  # noqa: S105 (a file name)
SECRET_BYTES = 32
Purpose = Literal["api-key-pepper", "token-signing"]


def derive_key(secret: bytes, purpose: Purpose) -> bytes:
    """The sub-key for `purpose`: HMAC-SHA256(secret, label)."""
    return hmac.new(secret, f"stratlog/{purpose}/v1".encode(), hashlib.sha256).digest()


def load_secret(settings: StoreSettings) -> bytes:
    """The configured secret, or the data directory's (created once if missing)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.data_dir / SECRET_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SecretUnavailable(_advice(path, exc)) from exc
    try:
        return _create(path)
    except OSError as exc:
        raise SecretUnavailable(_advice(path, exc)) from exc


def _read(path: Path) -> bytes:
    secret = path.read_text(encoding="ascii").strip().encode()
    if len(secret) < SECRET_BYTES:
        raise SecretUnavailable(f"{path} holds too short a secret; remove it or fix it")
    return secret


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    write_private(temporary, secret + "\n")
    try:
        os.link(temporary, path)  # fails if another process created it first
    except FileExistsError:
        return _read(path)
    finally:
        temporary.unlink()
    return secret.encode()


def write_private(path: Path, text: str) -> None:
    """Write a new file only its owner can read (0600 from its creation on, never wider)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _advice(path: Path, exc: OSError) -> str:
    return (
        f"no deployment secret: STRATLOG_SECRET_KEY is not set and {path} cannot be read or "
        f"created ({exc.strerror or exc}). Set STRATLOG_SECRET_KEY (the same value on every "
        "host), or give this process a writable data directory."
    )


@dataclass(frozen=True)
class DerivedKeys:
    """The sub-keys of the deployment's secret."""

    pepper: bytes = field(repr=False)
    signing_key: bytes = field(repr=False)


def derived_keys(settings: StoreSettings) -> DerivedKeys:
    """The deployment's sub-keys (`SecretUnavailable` when there is no secret to derive from)."""
    secret = load_secret(settings)
    return DerivedKeys(derive_key(secret, "api-key-pepper"), derive_key(secret, "token-signing"))
