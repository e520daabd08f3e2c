"""One owner per stream: Redis leases that carry fencing tokens.

A lease is a key ``<ns>:lease:<session>`` holding ``<worker>:<token>`` with a TTL. Taking one
is atomic (a Lua script): only when the key is absent, and with a token from the session's
counter ``<ns>:fence:<session>`` that only grows. The owner renews its leases on a heartbeat;
a worker that dies stops renewing, its leases expire and another worker takes the streams
with larger tokens, which it records in the database (see :mod:`meetmind.store.fencing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

__all__ = ["Lease", "LeaseManager", "Owner", "parse_owner"]

_CLAIM = """
if redis.call('exists', KEYS[1]) == 1 then return false end
local token = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
"""

_RENEW = """
local kept = {}
for i, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[i + 1] then
    redis.call('pexpire', key, ARGV[1])
    kept[i] = 1
  else
    kept[i] = 0
  end
end
return kept
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Lease:
    """A stream this worker holds, and the fencing token its writes carry."""

    session_id: str
    token: int

    def value(self, worker_id: str) -> str:
        """What the lease key holds."""
        return f"{worker_id}:{self.token}"


@dataclass(frozen=True)
class Owner:
    """Who holds a stream's lease."""

    worker_id: str
    token: int


def parse_owner(raw: bytes | str | None) -> Owner | None:
    """Parse a lease key's value (``<worker>:<token>``); None if absent or unreadable."""
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    worker_id, sep, token = text.rpartition(":")
    if not sep or not worker_id or not token.isdigit():
        return None
    return Owner(worker_id, int(token))


class LeaseManager:
    """Takes, renews and gives back one worker's stream leases."""

    def __init__(self, redis: Redis, namespace: str, worker_id: str, ttl_s: float) -> None:
        self._redis = redis
        self._ns = namespace
        self.worker_id = worker_id
        self.ttl_ms = int(ttl_s * 1000)
        self._claim = redis.register_script(_CLAIM)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def key(self, session_id: str) -> str:
        """The lease key of a session's stream."""
        return f"{self._ns}:lease:{session_id}"

    def _fence_key(self, session_id: str) -> str:
        return f"{self._ns}:fence:{session_id}"

    async def claim(self, session_id: str) -> Lease | None:
        """Take the stream if nobody holds it; None if someone does."""
        token = await self._claim(
            keys=[self.key(session_id), self._fence_key(session_id)],
            args=[self.worker_id, self.ttl_ms],
        )
        return None if token is None else Lease(session_id, int(token))

    async def renew(self, leases: Mapping[str, Lease]) -> set[str]:
        """Extend every lease still ours; returns the sessions whose lease was lost."""
        if not leases:
            return set()
        ids = list(leases)
        kept = await self._renew(
            keys=[self.key(i) for i in ids],
            args=[self.ttl_ms, *(leases[i].value(self.worker_id) for i in ids)],
        )
        return {i for i, ok in zip(ids, kept, strict=True) if not int(ok)}

    async def release(self, lease: Lease) -> None:
        """Give a lease back at once (only if it is still ours)."""
        await self._release(keys=[self.key(lease.session_id)], args=[lease.value(self.worker_id)])

    async def owner(self, session_id: str) -> Owner | None:
        """Who holds the stream now, if anyone."""
        return parse_owner(await self._redis.get(self.key(session_id)))

    async def held(self, session_ids: list[str]) -> dict[str, Owner | None]:
        """The owner of each session's stream, in one round trip."""
        if not session_ids:
            return {}
        values = await self._redis.mget([self.key(i) for i in session_ids])
        return {i: parse_owner(v) for i, v in zip(session_ids, values, strict=True)}
