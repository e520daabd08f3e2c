"""When to retry a Zoom REST call, and how long to wait. Pure: no I/O, no clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "parse_retry_after", "retry_delay"]


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter for 429 and 5xx answers.

    Attributes:
        max_attempts: attempts in all, the first included.
        base_delay: seconds before the first retry (before jitter).
        max_delay: cap of one computed backoff.
        max_retry_after: longest ``Retry-After`` honoured; longer ones give up at once.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``attempt`` (1-based), with full jitter."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)


RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_epoch)


def retry_delay(
    policy: RetryPolicy,
    *,
    status: int,
    attempt: int,
    retry_after: float | None,
    rng: random.Random | None = None,
) -> float | None:
    """How long to wait before retrying after ``status`` on attempt ``attempt`` (1-based).

    Returns:
        Seconds to wait, or None when the answer is final (not retryable, attempts used up, or a
        ``Retry-After`` longer than the policy accepts).
    """
    if status not in RETRYABLE_STATUSES or attempt >= policy.max_attempts:
        return None
    if retry_after is not None:
        return retry_after if retry_after <= policy.max_retry_after else None
    return policy.backoff(attempt, rng)
