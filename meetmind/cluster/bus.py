"""Live-event notifications between processes over Redis pub/sub.

The bus carries no payloads, only "session S has new events": followers read the events from
the database by id, so a lost or doubled notification never causes a gap or a duplicate (a
follower also re-reads on its keep-alive tick). Each process publishes what its own ingest and
inbox announce, and wakes its local followers on what the others publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from meetmind.runtime.bus import EventBus

__all__ = ["RedisBus"]

log = logging.getLogger(__name__)


class RedisBus:
    """Relays an :class:`EventBus` to and from a Redis channel."""

    def __init__(self, bus: EventBus, redis: Redis, namespace: str, node_id: str) -> None:
        self._bus = bus
        self._redis = redis
        self._channel = f"{namespace}:feed"
        self._node_id = node_id
        self._outgoing: dict[str, None] = {}
        self._pending = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self.published = 0
        self.received = 0

    async def start(self) -> None:
        """Subscribe, then relay this process's notifications."""
        self._bus.relay = self._queue
        self._tasks = [
            asyncio.create_task(self._subscribe(), name="redis-bus-in"),
            asyncio.create_task(self._publish(), name="redis-bus-out"),
        ]
        async with asyncio.timeout(10):
            await self._subscribed.wait()

    async def close(self) -> None:
        """Stop relaying."""
        self._bus.relay = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def _queue(self, session_id: str) -> None:
        self._outgoing[session_id] = None
        self._pending.set()

    async def _publish(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()
            batch, self._outgoing = list(self._outgoing), {}
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for session_id in batch:
                        pipe.publish(self._channel, f"{self._node_id} {session_id}")
                    await pipe.execute()
                self.published += len(batch)
            except RedisError as exc:
                log.warning("live bus: publishing %d notification(s) failed: %s", len(batch), exc)

    async def _subscribe(self) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None or message.get("type") != "message":
                        continue
                    self._deliver(message["data"])
            except RedisError as exc:
                log.warning("live bus: subscription lost (%s); resubscribing", exc)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(RedisError, RuntimeError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _deliver(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        node_id, _, session_id = text.partition(" ")
        if not session_id or node_id == self._node_id:
            return
        self.received += 1
        self._bus.notify_from_peer(session_id)
