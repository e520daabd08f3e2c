"""Opaque pagination cursors: a versioned, URL-safe encoding of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json

from meetmind.domain.errors import InvalidInputError

__all__ = ["decode_cursor", "encode_cursor"]

_VERSION = 1
_INT_RANGE = (-(2**63), 2**63 - 1)
"""What a database integer column holds: a key outside it cannot be one of ours."""
_MAX_TEXT = 256


def encode_cursor(kind: str, key: list[int | str]) -> str:
    """Encode a sort key for a listing named ``kind``."""
    raw = json.dumps({"v": _VERSION, "k": kind, "p": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, field: str, shape: tuple[type, ...]) -> list[int | str]:
    """Decode a cursor made by :func:`encode_cursor` for the same ``kind`` and key ``shape``.

    Raises:
        InvalidInputError: naming ``field`` when the cursor is malformed or from another listing.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidInputError(field, "is not a cursor this API returned") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION or data.get("k") != kind:
        raise InvalidInputError(field, "is not a cursor for this listing")
    key = data.get("p")
    if (
        not isinstance(key, list)
        or len(key) != len(shape)
        or not all(_fits(part, want) for part, want in zip(key, shape, strict=True))
    ):
        raise InvalidInputError(field, "is not a cursor this API returned")
    return key


def _fits(part: object, want: type) -> bool:
    """A key part of the wanted type that the database can compare with (a crafted cursor may
    hold integers past 64 bits or NUL characters, which drivers refuse with an error)."""
    if type(part) is not want:
        return False
    if isinstance(part, int):
        return _INT_RANGE[0] <= part <= _INT_RANGE[1]
    if isinstance(part, str):
        return len(part) <= _MAX_TEXT and "\x00" not in part
    return True
