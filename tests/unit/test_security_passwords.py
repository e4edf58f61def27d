"""Passwords: argon2id hashes that check only the password they were made from; the rules a
new password must meet; an unknown user never checks as valid."""

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from schema.security.errors import WeakPassword
from schema.security.passwords import MAX_LENGTH, Passwords

PASSWORDS = Passwords(PasswordHasher.from_parameters(CHEAPEST))  # fast: these are unit tests


def test_a_hash_checks_its_own_password_only() -> None:
    stored = PASSWORDS.hash("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert PASSWORDS.verify(stored, "correct horse battery")
    assert not PASSWORDS.verify(stored, "correct horse batter")
    assert PASSWORDS.hash("correct horse battery") != stored  # salted


@pytest.mark.parametrize("stored", [None, "", "not a hash", "$argon2id$v=19$garbage"])
def test_no_stored_hash_or_a_broken_one_never_checks(stored: str | None) -> None:
    assert not PASSWORDS.verify(stored, "correct horse battery")


@pytest.mark.parametrize("password", ["", "seven77", "x" * (MAX_LENGTH + 1)])
def test_a_too_short_or_too_long_password_is_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        PASSWORDS.hash(password)
