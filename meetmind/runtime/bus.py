"""The live event bus: wakes whoever follows a session when its feed grows.

The database is the truth: a follower reads the feed by ``seq``, so a wake-up can be lost or
doubled without a gap or a duplicate on any follower. A notification may also carry the new
events themselves (the ingest writer has them in hand after its commit); a follower that is
exactly up to date uses them instead of reading them back, and reads the database whenever what
it was handed does not continue its feed without a hole. In one process the bus is in memory;
with Redis (scale-out) only the wake-ups cross processes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from meetmind.domain.models import FeedEvent

__all__ = ["EventBus", "Waiter"]

_MAX_HANDED = 512
"""Events a waiter keeps for a slow follower; beyond that it reads the database instead."""


class Waiter:
    """One follower's wake-up flag for a session, with the events it was handed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._handed: list[FeedEvent] = []
        self._unknown = False

    def wake(self, events: Sequence[FeedEvent] = ()) -> None:
        """Something new is in the feed: ``events``, or (none given) unknown events."""
        if not events or len(self._handed) + len(events) > _MAX_HANDED:
            self._unknown = True
            self._handed.clear()
        elif not self._unknown:
            self._handed.extend(events)
        self._event.set()

    def take(self) -> tuple[list[FeedEvent], bool]:
        """The events handed since the last take, and whether others may exist besides them."""
        handed, unknown = self._handed, self._unknown
        self._handed, self._unknown = [], False
        return handed, unknown

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

    def notify(self, session_id: str, events: Sequence[FeedEvent] = ()) -> None:
        """The session's feed grew here (by ``events``, committed, in ``seq`` order, when
        known): wake local followers and tell other processes."""
        self._wake(session_id, events)
        if self.relay is not None:
            self.relay(session_id)

    def notify_from_peer(self, session_id: str) -> None:
        """Another process says the session's feed grew: wake local followers only."""
        self._wake(session_id, ())

    def _wake(self, session_id: str, events: Sequence[FeedEvent]) -> None:
        for waiter in self._waiters.get(session_id, ()):
            waiter.wake(events)
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
