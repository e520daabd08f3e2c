"""The simulator's log of everything it sent and saw, for assertions in tests (any language)."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from meetmind.sim.clock import ScaledClock

__all__ = ["Entry", "Recorder"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded fact.

    Attributes:
        seq: Increasing sequence number (use ``since=seq`` to page).
        t: Simulated monotonic seconds.
        ts: Simulated unix milliseconds.
        channel: ``webhook``, ``signaling``, ``media``, ``rest``, ``oauth``, ``admin``, ``meeting``
            or ``agent``.
        direction: ``sent`` (simulator -> peer), ``received`` (peer -> simulator) or ``event``.
        kind: What happened, e.g. ``msg_type:17``, ``meeting.rtms_started``, ``fault``.
        meeting_id: The meeting concerned, if any.
        stream_id: The RTMS stream concerned, if any.
        data: Details (JSON-compatible).
    """

    seq: int
    t: float
    ts: int
    channel: str
    direction: str
    kind: str
    meeting_id: int | None = None
    stream_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-compatible dict."""
        return asdict(self)


class Recorder:
    """A bounded, awaitable list of :class:`Entry`.

    Args:
        clock: Source of timestamps.
        max_entries: Oldest entries are dropped beyond this (sequence numbers keep growing).
    """

    def __init__(self, clock: ScaledClock, max_entries: int = 200_000) -> None:
        self._clock = clock
        self._entries: deque[Entry] = deque(maxlen=max_entries)
        self._seq = itertools.count(1)
        self._changed = asyncio.Event()

    def add(
        self,
        channel: str,
        direction: str,
        kind: str,
        *,
        meeting_id: int | None = None,
        stream_id: str | None = None,
        **data: Any,
    ) -> Entry:
        """Record one entry and wake waiters."""
        entry = Entry(
            next(self._seq),
            round(self._clock.monotonic(), 6),
            self._clock.time_ms(),
            channel,
            direction,
            kind,
            meeting_id,
            stream_id,
            data,
        )
        self._entries.append(entry)
        self._changed.set()
        self._changed = asyncio.Event()
        return entry

    def entries(
        self,
        *,
        channel: str | None = None,
        direction: str | None = None,
        kind: str | None = None,
        meeting_id: int | None = None,
        stream_id: str | None = None,
        since: int = 0,
    ) -> list[Entry]:
        """Entries matching every given filter, oldest first."""
        return [
            e
            for e in self._entries
            if e.seq > since
            and (channel is None or e.channel == channel)
            and (direction is None or e.direction == direction)
            and (kind is None or e.kind == kind)
            and (meeting_id is None or e.meeting_id == meeting_id)
            and (stream_id is None or e.stream_id == stream_id)
        ]

    async def wait_for(
        self, predicate: Callable[[Entry], bool], *, limit_s: float = 10.0, since: int = 0
    ) -> Entry:
        """Wait up to ``limit_s`` real seconds for an entry after ``since`` matching ``predicate``.

        Raises:
            TimeoutError: Nothing matched in time.
        """

        async def _wait() -> Entry:
            seen = since
            while True:
                changed = self._changed
                start = max(0, seen - self._entries[0].seq + 1) if self._entries else 0
                for entry in itertools.islice(self._entries, start, None):
                    if entry.seq > seen:
                        if predicate(entry):
                            return entry
                        seen = entry.seq
                await changed.wait()

        async with asyncio.timeout(limit_s):
            return await _wait()

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest entry (0 when empty)."""
        return self._entries[-1].seq if self._entries else 0
