"""The live event bus: wakes whoever follows a session when its feed grows.

It carries no payloads: followers read the feed from the database (by ``seq``), so a wake-up
can be lost or doubled without a gap or a duplicate on any follower. In one process the bus is
in memory; with Redis (scale-out) the same notifications cross processes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["EventBus", "Waiter"]


class Waiter:
    """One follower's wake-up flag for a session."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Something new may be in the feed."""
        self._event.set()

    async def wait(self) -> None:
        """Wait for a wake-up; the flag is cleared for the next wait.

        Bound it with ``asyncio.timeout`` to send keep-alives while nothing happens.
        """
        await self._event.wait()
        self._event.clear()


class EventBus:
    """In-process notifications per session, plus global listeners (e.g. webhook delivery)."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[Waiter]] = defaultdict(set)
        self._global: list[Callable[[str], None]] = []
        self.relay: Callable[[str], None] | None = None
        """Passes this process's notifications on to other processes (scale-out)."""

    def notify(self, session_id: str) -> None:
        """The session's feed grew (here): wake local followers and tell other processes."""
        self.notify_from_peer(session_id)
        if self.relay is not None:
            self.relay(session_id)

    def notify_from_peer(self, session_id: str) -> None:
        """Another process says the session's feed grew: wake local followers only."""
        for waiter in self._waiters.get(session_id, ()):
            waiter.wake()
        for listener in self._global:
            listener(session_id)

    def on_any(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(session_id)`` for every notification."""
        self._global.append(listener)

    @asynccontextmanager
    async def listen(self, session_id: str) -> AsyncIterator[Waiter]:
        """Register a waiter for the session while the block runs."""
        waiter = Waiter()
        self._waiters[session_id].add(waiter)
        try:
            yield waiter
        finally:
            waiters = self._waiters.get(session_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[session_id]

    def followers(self, session_id: str) -> int:
        """How many waiters follow the session."""
        return len(self._waiters.get(session_id, ()))
