"""Opaque pagination cursors: the sort key of the last item a page returned.

A client gets `next_cursor` with a page and sends it back as `cursor` for the next one; it
must not look inside. The cursor is the base64url of a JSON array (the values of the sort
key, e.g. exit time and trade id), so keyset pagination stays stable while rows are added
and costs one index range per page. A cursor that does not decode to the expected shape is a
client error (422), never a 500.
"""

import base64
import binascii
from collections.abc import Sequence

import orjson

from read_api.errors import InvalidParameter

Key = Sequence[str | int]
_BIGINT = range(-(2**63), 2**63)  # what the stores' integer columns hold


def encode_cursor(key: Key) -> str:
    """The cursor that resumes after the item whose sort key is `key`."""
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str, types: Sequence[type[str] | type[int]]) -> list[str | int]:
    """The sort key in `cursor`, checked against the expected element `types`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise InvalidParameter("cursor: not a cursor this API issued") from exc
    valid = (
        isinstance(key, list)
        and len(key) == len(types)
        and all(type(value) is kind for value, kind in zip(key, types, strict=True))
        and all(value in _BIGINT for value in key if type(value) is int)
    )
    if not valid:
        raise InvalidParameter("cursor: not a cursor this API issued")
    return list(key)
