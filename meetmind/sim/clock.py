"""Simulated time: a clock whose seconds run ``time_scale`` times faster than real ones.

:class:`ScaledClock` matches the shape of :class:`meetmind.clock.Clock` (``now()``,
``monotonic()``, ``sleep()``), so the simulator and a MeetMind instance under test can share one.
``advance()`` jumps forward and wakes every sleeper whose deadline has passed, which lets tests
cross a 5-minute code expiry or a 60-minute webhook retry at once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["ScaledClock", "SimClock"]


class SimClock(Protocol):
    """What the simulator needs from a clock (compatible with ``meetmind.clock.Clock``)."""

    def now(self) -> datetime:
        """Current simulated wall-clock time (UTC)."""
        ...

    def monotonic(self) -> float:
        """Simulated seconds since an arbitrary origin; never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of simulated time."""
        ...


class ScaledClock:
    """A clock running ``time_scale`` simulated seconds per real second.

    Args:
        time_scale: Simulated seconds per real second (100 runs a 30-minute meeting in 18 s).
        start: Simulated wall-clock time at creation (default: the real current time).
    """

    def __init__(self, time_scale: float = 1.0, *, start: datetime | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = float(time_scale)
        self._real0 = time.monotonic()
        self._epoch0 = (start or datetime.now(UTC)).timestamp()
        self._offset = 0.0
        self._waiters: set[asyncio.Event] = set()

    def monotonic(self) -> float:
        """Simulated seconds since the clock was created (plus any ``advance``)."""
        return (time.monotonic() - self._real0) * self.time_scale + self._offset

    def time(self) -> float:
        """Simulated unix time in seconds."""
        return self._epoch0 + self.monotonic()

    def time_ms(self) -> int:
        """Simulated unix time in milliseconds (Zoom's timestamp unit)."""
        return int(self.time() * 1000)

    def now(self) -> datetime:
        """Simulated current time, timezone-aware UTC."""
        return datetime.fromtimestamp(self.time(), UTC)

    def epoch_ms_at(self, monotonic: float) -> int:
        """Unix milliseconds of a simulated monotonic instant."""
        return int((self._epoch0 + monotonic) * 1000)

    def to_real(self, seconds: float) -> float:
        """Real seconds that ``seconds`` of simulated time take."""
        return seconds / self.time_scale

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of simulated time (woken early by :meth:`advance`)."""
        await self.sleep_until(self.monotonic() + seconds)

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until the simulated monotonic time reaches ``deadline``."""
        while True:
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return
            event = asyncio.Event()
            self._waiters.add(event)
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
                async with asyncio.timeout(remaining / self.time_scale):
                    await event.wait()
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(event)

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward by ``seconds`` and wake sleepers to re-check deadlines."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += seconds
        for event in list(self._waiters):
            event.set()
