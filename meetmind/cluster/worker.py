"""The worker side of scale-out: own streams, keep them, take over the orphans, drain.

A :class:`StreamWorker` runs next to a worker process's :class:`~meetmind.sdk.MeetMind`:

* it reads stream work from the Redis Stream in the ``workers`` consumer group (and claims the
  entries a dead worker read but never acknowledged, with XAUTOCLAIM);
* it joins a stream only after taking its lease and recording the lease's fencing token on the
  session row, and every ingest write then carries that token (a worker that lost its lease can
  never write again);
* it renews its leases on a heartbeat and leaves a stream whose lease it lost;
* it scans the database for live streams nobody holds (their owner died and the lease expired)
  and takes them over, rejoining within Zoom's reconnection window;
* work about a stream another worker owns is passed on to that worker's own stream;
* on SIGTERM it drains: leaves its streams, gives their leases back and asks the others to take
  them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from meetmind.cluster.dispatch import WORK_GROUP, work_stream_key, worker_inbox_key
from meetmind.cluster.leases import Lease, LeaseManager
from meetmind.cluster.work import BadWorkError, StreamWork, WorkOp
from meetmind.domain.events import StreamStateChanged
from meetmind.runtime.ingest import StreamContext
from meetmind.runtime.streams import StreamSupervisor
from meetmind.store.db import Database
from meetmind.store.fencing import take_fence
from meetmind.store.repo import live_streams
from meetmind.zoom.rtms.client import RtmsTarget

__all__ = ["StreamWorker", "WorkerStats", "new_worker_id"]

log = logging.getLogger(__name__)


async def _nothing_pending() -> None:
    return None


def new_worker_id() -> str:
    """A worker id unique in the cluster: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class WorkerStats:
    """Counters for metrics and tests."""

    work_handled: int = 0
    work_reclaimed: int = 0
    work_forwarded: int = 0
    work_bad: int = 0
    streams_claimed: int = 0
    streams_taken_over: int = 0
    leases_lost: int = 0
    fenced_out: int = 0
    takeover_seconds: list[float] = field(default_factory=list)


class StreamWorker:
    """Owns streams for one worker process (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        database: Database,
        supervisor: StreamSupervisor,
        *,
        namespace: str,
        worker_id: str,
        lease_ttl_s: float,
        max_streams: int = 500,
        written: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._redis = redis
        self._database = database
        self._supervisor = supervisor
        self.worker_id = worker_id
        self._stream = work_stream_key(namespace)
        self._inbox = worker_inbox_key(namespace, worker_id)
        self._namespace = namespace
        self._leases = LeaseManager(redis, namespace, worker_id, lease_ttl_s)
        self._ttl = lease_ttl_s
        self._max_streams = max_streams
        self._held: dict[str, Lease] = {}
        self._written = written or _nothing_pending
        self._claiming: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = True
        self.stats = WorkerStats()

    @property
    def session_ids(self) -> list[str]:
        """Sessions whose streams this worker holds."""
        return list(self._held)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Join the consumer group and start consuming, heartbeating and scanning."""
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._stream, WORK_GROUP, id="0", mkstream=True)
        self._tasks = [
            asyncio.create_task(self._guard(self._consume_shared), name="worker-consume"),
            asyncio.create_task(self._guard(self._consume_inbox), name="worker-inbox"),
            asyncio.create_task(self._guard(self._heartbeat), name="worker-heartbeat"),
            asyncio.create_task(self._guard(self._scan), name="worker-scan"),
        ]
        await self.scan_once()

    async def drain(self) -> None:
        """Stop taking work, leave every stream and hand it to the other workers at once."""
        self._accepting = False
        for task in self._tasks:
            if task.get_name() in ("worker-consume", "worker-scan", "worker-inbox"):
                task.cancel()
        leaving = [(self._held.pop(sid), self._supervisor.context(sid)) for sid in list(self._held)]
        await asyncio.gather(*(self._supervisor.leave(lease.session_id) for lease, _ in leaving))
        await self._written()  # what they produced is stored before anyone else may write
        for lease, context in leaving:
            with contextlib.suppress(RedisError):
                await self._leases.release(lease)
                if context is not None:
                    work = StreamWork(WorkOp.HANDOFF, context.tenant_id, lease.session_id)
                    await self._redis.xadd(self._stream, work.to_fields())  # type: ignore[arg-type]
            log.info("handed stream of session %s over", lease.session_id)

    async def close(self) -> None:
        """Stop every task (call :meth:`drain` first to hand streams over)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        with contextlib.suppress(RedisError):
            await self._redis.delete(self._inbox)
            await self._redis.xgroup_delconsumer(self._stream, WORK_GROUP, self.worker_id)

    async def _guard(self, loop: Any) -> None:
        """Run a loop forever, surviving Redis outages."""
        while True:
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("worker %s: %s failed (%s); retrying", self.worker_id, loop, exc)
                await asyncio.sleep(0.5)
            except Exception:
                log.exception("worker %s: %s failed; retrying", self.worker_id, loop)
                await asyncio.sleep(0.5)

    # -- work ----------------------------------------------------------------------------------

    async def _consume_shared(self) -> None:
        idle_ms = int(self._ttl * 1000)
        while self._accepting:
            # Entries a dead consumer read but never acknowledged come back to a live one.
            _next, reclaimed, *_ = await self._redis.xautoclaim(
                self._stream, WORK_GROUP, self.worker_id, idle_ms, start_id="0-0", count=50
            )
            for entry_id, fields in reclaimed:
                if fields:
                    self.stats.work_reclaimed += 1
                    await self._handle(fields)
                await self._redis.xack(self._stream, WORK_GROUP, entry_id)
            batches: Any = await self._redis.xreadgroup(
                WORK_GROUP, self.worker_id, {self._stream: ">"}, count=50, block=1000
            )
            for _key, entries in batches or ():
                for entry_id, fields in entries:
                    await self._handle(fields)
                    await self._redis.xack(self._stream, WORK_GROUP, entry_id)

    async def _consume_inbox(self) -> None:
        last = "0-0"
        while self._accepting:
            batches: Any = await self._redis.xread({self._inbox: last}, count=50, block=1000)
            for _key, entries in batches or ():
                for entry_id, fields in entries:
                    last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    await self._handle(fields, forwarded=True)
                    await self._redis.xdel(self._inbox, entry_id)

    async def _handle(self, fields: dict[Any, Any], *, forwarded: bool = False) -> None:
        try:
            work = StreamWork.from_fields(fields)
        except BadWorkError as exc:
            self.stats.work_bad += 1
            log.warning("worker %s: skipping %s", self.worker_id, exc)
            return
        self.stats.work_handled += 1
        try:
            await self.handle(work, forwarded=forwarded)
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception(
                "worker %s: %s for session %s failed", self.worker_id, work.op, work.session_id
            )

    async def handle(self, work: StreamWork, *, forwarded: bool = False) -> None:
        """Apply one unit of stream work."""
        sid = work.session_id
        if self._supervisor.owns(sid) and sid in self._held:
            event = work.event()
            if work.op is WorkOp.STARTED and work.failover:
                await self._supervisor.rtms_started(work.tenant_id, sid, event, failover=True)
            elif work.op is WorkOp.INTERRUPTED:
                await self._supervisor.rtms_interrupted(work.tenant_id, sid, event)
            elif work.op is WorkOp.STOPPED:
                await self._supervisor.rtms_stopped(work.tenant_id, sid, event)
            return
        owner = await self._leases.owner(sid)
        if owner is not None and owner.worker_id != self.worker_id:
            if not forwarded:
                self.stats.work_forwarded += 1
                await self._redis.xadd(
                    worker_inbox_key(self._namespace, owner.worker_id),
                    work.to_fields(),  # type: ignore[arg-type]
                    maxlen=10_000,
                    approximate=True,
                )
            return
        if work.op is not WorkOp.STOPPED:
            await self.take(work.tenant_id, sid)

    # -- owning streams ------------------------------------------------------------------------

    async def take(self, tenant_id: str, session_id: str, *, orphan: bool = False) -> bool:
        """Take the session's stream if it is live and nobody holds it; True if we now do."""
        if (
            not self._accepting
            or session_id in self._held
            or session_id in self._claiming
            or len(self._held) >= self._max_streams
        ):
            return session_id in self._held
        self._claiming.add(session_id)
        try:
            lease = await self._leases.claim(session_id)
            if lease is None:
                return False
            async with self._database.transaction() as db:
                fenced_in = await take_fence(db, session_id, lease.token)
                streams = await live_streams(db, [session_id]) if fenced_in else []
            if not streams:
                await self._leases.release(lease)
                return False
            stream = streams[0]
            self._held[session_id] = lease
            await self._supervisor.join(
                stream.tenant_id,
                session_id,
                RtmsTarget(stream.meeting_uuid, stream.rtms_stream_id, stream.server_urls),
                fence=lease.token,
            )
            self.stats.streams_claimed += 1
            if orphan:
                self.stats.streams_taken_over += 1
            log.info(
                "worker %s %s stream of session %s (fence %d)",
                self.worker_id,
                "took over the" if orphan else "joined the",
                session_id,
                lease.token,
            )
            return True
        finally:
            self._claiming.discard(session_id)

    async def stream_finished(self, session_id: str, final: StreamStateChanged) -> None:
        """The supervisor's hook: a stream ended or was left; give its lease back.

        Only once its last events are written: the lease is what keeps another worker from
        taking the stream (with a newer fence) while the final state is still on its way.
        """
        lease = self._held.get(session_id)
        if lease is None:
            return
        await self._written()
        if self._held.get(session_id) is lease:
            del self._held[session_id]
            with contextlib.suppress(RedisError):
                await self._leases.release(lease)

    def fenced(self, context: StreamContext) -> None:
        """The ingest hook: our writes for a stream were refused, so someone else owns it."""
        lease = self._held.get(context.session_id)
        if lease is not None and lease.token == context.fence:
            self.stats.fenced_out += 1
            self._held.pop(context.session_id, None)
            asyncio.get_running_loop().create_task(self._supervisor.leave(context.session_id))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 4)
            held = dict(self._held)
            lost = await self._leases.renew(held)
            for session_id in lost:
                if self._held.get(session_id) is held[session_id]:
                    self.stats.leases_lost += 1
                    del self._held[session_id]
                    log.warning(
                        "worker %s lost the lease of session %s", self.worker_id, session_id
                    )
                    await self._supervisor.leave(session_id)

    async def _scan(self) -> None:
        while self._accepting:
            await asyncio.sleep(min(1.0, self._ttl / 4))
            await self.scan_once()

    async def scan_once(self) -> int:
        """Take over live streams nobody holds (their worker died); returns how many."""
        if not self._accepting or len(self._held) >= self._max_streams:
            return 0
        async with self._database.transaction() as db:
            streams = await live_streams(db)
        candidates = [s for s in streams if s.session_id not in self._held]
        owners = await self._leases.held([s.session_id for s in candidates])
        taken = 0
        for stream in candidates:
            if owners.get(stream.session_id) is None and await self.take(
                stream.tenant_id, stream.session_id, orphan=True
            ):
                taken += 1
        return taken
