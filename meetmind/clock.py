"""Injected time: domain code asks a :class:`Clock`, never ``time`` or ``asyncio.sleep``."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock", "utc_from_ms"]


class Clock(Protocol):
    """Wall time, monotonic time and sleeping, so tests and simulations can drive them."""

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for durations and deadlines."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current wall-clock time in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """The process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop."""
        await asyncio.sleep(seconds)


def utc_from_ms(ms: int) -> datetime:
    """A UTC datetime from milliseconds since the epoch (Zoom's timestamp unit)."""
    return datetime.fromtimestamp(ms / 1000, UTC)
