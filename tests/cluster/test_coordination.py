"""Leases, fencing tokens and the cross-process live bus, over real Redis (and databases)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from meetmind.cluster.bus import RedisBus
from meetmind.cluster.leases import LeaseManager
from meetmind.config import Settings
from meetmind.domain.errors import ConfigurationError
from meetmind.domain.events import TranscriptReceived
from meetmind.runtime.bus import EventBus
from meetmind.runtime.ingest import StreamContext
from meetmind.sdk import MeetMind
from meetmind.store.fencing import take_fence


async def test_one_owner_per_stream_with_growing_tokens(redis: Redis, namespace: str) -> None:
    a = LeaseManager(redis, namespace, "worker-a", ttl_s=5)
    b = LeaseManager(redis, namespace, "worker-b", ttl_s=5)
    first = await a.claim("s1")
    assert first is not None
    assert await b.claim("s1") is None
    assert (await b.owner("s1")).worker_id == "worker-a"  # type: ignore[union-attr]
    await b.release(first)  # not b's: nothing happens
    assert await a.owner("s1") is not None
    await a.release(first)
    second = await b.claim("s1")
    assert second is not None and second.token > first.token
    assert await a.renew({"s1": first}) == {"s1"}  # a lost it
    assert await b.renew({"s1": second}) == set()


async def test_an_unrenewed_lease_expires_and_moves(redis: Redis, namespace: str) -> None:
    a = LeaseManager(redis, namespace, "worker-a", ttl_s=1)
    b = LeaseManager(redis, namespace, "worker-b", ttl_s=1)
    lease = await a.claim("s1")
    assert lease is not None
    await redis.pexpire(a.key("s1"), 50)  # what 1 s without a heartbeat does, sooner
    for _ in range(100):
        taken = await b.claim("s1")
        if taken is not None:
            break
        await asyncio.sleep(0.02)
    assert taken is not None and taken.token == lease.token + 1
    assert await a.renew({"s1": lease}) == {"s1"}


async def test_a_fenced_out_writer_can_no_longer_write(meetmind: MeetMind) -> None:
    tenant = await meetmind.create_tenant("fencing")
    acme = meetmind.tenant(tenant.id)
    session = await acme.create_session(platform="zoom", meeting_id="812 3456 7890")
    refused: list[StreamContext] = []
    meetmind.ingestor.on_fenced = refused.append
    async with meetmind.database.transaction() as db:
        assert await take_fence(db, session.id, 5)
        assert not await take_fence(db, session.id, 4)  # an older token never wins back
    old = StreamContext(tenant.id, session.id, "stream", fence=4)
    current = StreamContext(tenant.id, session.id, "stream", fence=5)
    meetmind.ingestor.submit(old, TranscriptReceived("stale write", 1000, 2000, "u1", "Ann"))
    meetmind.ingestor.submit(current, TranscriptReceived("owner's write", 3000, 4000, "u1", "Ann"))
    await meetmind.ingestor.drained()
    page = await acme.transcript(session.id)
    assert [t.text for t in page.items] == ["owner's write"]
    assert refused == [old]
    assert meetmind.ingestor.stats.fenced == 1


async def test_live_notifications_cross_processes(redis: Redis, namespace: str) -> None:
    here, there = EventBus(), EventBus()
    relays = [
        RedisBus(here, redis, namespace, "node-1"),
        RedisBus(there, redis, namespace, "node-2"),
    ]
    for relay in relays:
        await relay.start()
    try:
        async with there.listen("session-1") as waiter, here.listen("session-1") as local:
            here.notify("session-1")
            async with asyncio.timeout(5):
                await waiter.wait()  # woken through Redis
            await local.wait()  # and locally, once
            assert relays[0].received == 0  # a node ignores its own notifications
    finally:
        for relay in relays:
            await relay.close()


@pytest.mark.parametrize("role", ["api", "worker"])
def test_scale_out_roles_name_what_they_need(role: str, tmp_path: object) -> None:
    on_sqlite = Settings(_env_file=None, database_url="sqlite:///x.db")
    with pytest.raises(ConfigurationError, match="MEETMIND_DATABASE_URL"):
        MeetMind(on_sqlite, role=role)  # type: ignore[arg-type]
    without_redis = Settings(_env_file=None, database_url="postgresql://127.0.0.1/test")
    with pytest.raises(ConfigurationError, match="MEETMIND_REDIS_URL"):
        MeetMind(without_redis, role=role)  # type: ignore[arg-type]
