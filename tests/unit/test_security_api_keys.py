"""API keys: their shape, and their storage as a peppered HMAC checked in constant time."""

import pytest

from schema.security.api_keys import KeyHasher, looks_like_key, new_key, parse_key


def test_a_new_key_parses_back_to_its_public_id() -> None:
    key = new_key()

    parsed = parse_key(key.key)

    assert parsed == key
    assert key.key.startswith(f"slk_{key.key_id}_")
    assert len(key.key) == len("slk_") + 12 + 1 + 43
    assert new_key() != key


@pytest.mark.parametrize(
    "credential",
    [
        "",
        "slk_",
        "slk_0123456789ab_short",
        "slk_0123456789AB_" + "a" * 43,  # the id is lower-case hex
        "sk_0123456789ab_" + "a" * 43,
        "slk_0123456789ab_" + "a" * 43 + "\n",
        "slk_0123456789ab_" + "a" * 42 + "=",
    ],
)
def test_anything_without_a_keys_shape_is_not_a_key(credential: str) -> None:
    assert parse_key(credential) is None


def test_a_bearer_credential_is_a_key_by_its_prefix() -> None:
    assert looks_like_key(new_key().key)
    assert not looks_like_key("eyJhbGciOiJIUzI1NiJ9.e30.sig")


def test_a_stored_hash_matches_its_key_only_under_the_same_pepper() -> None:
    key = new_key().key
    stored = KeyHasher(b"pepper-1" * 4).hash(key)

    assert KeyHasher(b"pepper-1" * 4).matches(key, stored)
    assert not KeyHasher(b"pepper-2" * 4).matches(key, stored)
    assert not KeyHasher(b"pepper-1" * 4).matches(new_key().key, stored)
    assert key not in stored
