"""The API side of scale-out: routed stream webhooks become entries of a Redis Stream.

Workers read the stream in one consumer group, so each entry is handled by one worker, and an
entry a dead worker had read but not acknowledged is claimed again by another
(:class:`~meetmind.cluster.worker.StreamWorker`).
"""

from __future__ import annotations

from redis.asyncio import Redis

from meetmind.cluster.work import StreamWork
from meetmind.zoom.events import RtmsStreamEvent

__all__ = ["WORK_GROUP", "RedisStreamDispatch", "work_stream_key", "worker_inbox_key"]

WORK_GROUP = "workers"
_MAX_LEN = 100_000


def work_stream_key(namespace: str) -> str:
    """The Redis Stream all stream work goes through."""
    return f"{namespace}:stream-work"


def worker_inbox_key(namespace: str, worker_id: str) -> str:
    """A worker's own stream, for work about streams it owns that reached another worker."""
    return f"{namespace}:worker:{worker_id}"


class RedisStreamDispatch:
    """An :class:`~meetmind.runtime.zoom_inbox.RtmsStreamSink` that hands work to the workers."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._key = work_stream_key(namespace)
        self.dispatched = 0

    async def submit(self, work: StreamWork) -> None:
        """Append work to the stream (trimmed to about the last 100k entries)."""
        await self._redis.xadd(
            self._key,
            work.to_fields(),  # type: ignore[arg-type]
            maxlen=_MAX_LEN,
            approximate=True,
        )
        self.dispatched += 1

    async def rtms_started(
        self, tenant_id: str, session_id: str, event: RtmsStreamEvent, *, failover: bool
    ) -> None:
        """A stream started or moved to new servers."""
        await self.submit(StreamWork.of_event(tenant_id, session_id, event, failover=failover))

    async def rtms_stopped(self, tenant_id: str, session_id: str, event: RtmsStreamEvent) -> None:
        """A stream ended."""
        await self.submit(StreamWork.of_event(tenant_id, session_id, event))

    async def rtms_interrupted(
        self, tenant_id: str, session_id: str, event: RtmsStreamEvent
    ) -> None:
        """Zoom lost a stream's signaling connection."""
        await self.submit(StreamWork.of_event(tenant_id, session_id, event))
