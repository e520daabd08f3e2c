"""Identifiers: a type prefix, then time-ordered hex, so ids sort by creation time."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

__all__ = ["new_id"]

_lock = threading.Lock()
_last: tuple[int, int] = (0, 0)
_RANDOM_BITS = 80


def new_id(prefix: str, now: datetime) -> str:
    """A new id like ``ses_0193a1b2c3d4e5f6a7b8c9d0``: 48 bits of milliseconds, 80 random bits.

    Within one process ids are strictly increasing, even several in the same millisecond
    (the random part then counts up, as in monotonic ULIDs).
    """
    global _last
    millis = int(now.timestamp() * 1000) & 0xFFFF_FFFF_FFFF
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis and last_random + 1 < 2**_RANDOM_BITS:
            millis, random_part = last_millis, last_random + 1
        else:
            random_part = secrets.randbits(_RANDOM_BITS - 1)  # headroom to count up
        _last = (millis, random_part)
    return f"{prefix}_{millis:012x}{random_part:020x}"
