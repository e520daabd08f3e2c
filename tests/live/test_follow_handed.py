"""Followers use the events the ingest writer hands them, and read the database otherwise."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from meetmind.domain.events import ActiveSpeakerChanged, TranscriptReceived
from meetmind.domain.models import FeedEvent
from meetmind.runtime.bus import Waiter
from meetmind.runtime.ingest import StreamContext
from meetmind.sdk import MeetMind, TenantScope
from meetmind.store.repo import EventRepo


def _event(seq: int) -> FeedEvent:
    return FeedEvent(seq, "transcript.turn", "ses_x", datetime.now(UTC), {"n": seq})


def test_a_waiter_keeps_handed_events_until_it_cannot_vouch_for_them() -> None:
    waiter = Waiter()
    waiter.wake([_event(1), _event(2)])
    waiter.wake([_event(3)])
    handed, unknown = waiter.take()
    assert [e.id for e in handed] == [1, 2, 3] and not unknown
    assert waiter.take() == ([], False)
    waiter.wake([_event(4)])
    waiter.wake()  # a wake-up without events (another process, the agent): read the database
    waiter.wake([_event(5)])
    assert waiter.take() == ([], True)
    waiter.wake([_event(n) for n in range(600)])  # more than a slow follower may hold
    assert waiter.take() == ([], True)


@contextmanager
def feed_reads(meetmind: MeetMind) -> Iterator[list[str]]:
    """The statements that read a session's feed by ``seq`` (as followers do) in the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM session_events" in statement and "ORDER BY session_events.seq" in statement:
            seen.append(statement)

    engine = meetmind.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _follow(scope: TenantScope, session_id: str, into: asyncio.Queue[FeedEvent]) -> None:
    async for item in scope.follow(session_id, keepalive=30):
        if item is not None:
            into.put_nowait(item)


async def _next(events: asyncio.Queue[FeedEvent], count: int) -> list[FeedEvent]:
    return [await asyncio.wait_for(events.get(), 10) for _ in range(count)]


async def test_live_events_come_from_the_writer_and_equal_the_stored_ones(
    meetmind: MeetMind,
) -> None:
    tenant = await meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    scope = meetmind.tenant(tenant.id)
    session = await scope.create_session(meeting_id=str(81_000_000_000 + secrets.randbelow(10**9)))
    context = StreamContext(tenant.id, session.id, f"stream-{secrets.token_hex(4)}")

    events: asyncio.Queue[FeedEvent] = asyncio.Queue()
    following = asyncio.create_task(_follow(scope, session.id, events))
    with feed_reads(meetmind) as reads:
        for n in range(20):
            start = 1_000 * (n + 1)
            meetmind.ingestor.submit(context, ActiveSpeakerChanged(f"u{n % 3}", "Ann", start))
            meetmind.ingestor.submit(
                context, TranscriptReceived(f"line {n}", start, start + 800, f"u{n % 3}", "Ann")
            )
            if n == 10:  # a replayed frame is stored once; the feed goes on without a hole
                meetmind.ingestor.submit(
                    context, TranscriptReceived("line 9", 10_000, 10_800, "u0", "Ann")
                )
            await meetmind.ingestor.drained()
        live = await _next(events, 40)
    following.cancel()
    stored = await scope.events(session.id, after=0, limit=100)
    assert live == stored  # same ids, types, payloads and times as a replay from the database
    assert [e.id for e in live] == list(range(1, 41))
    # Only the follower's first read touched the feed: every later event was handed over.
    assert len(reads) <= 1


async def test_a_follower_reads_what_it_was_not_handed(meetmind: MeetMind) -> None:
    tenant = await meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    scope = meetmind.tenant(tenant.id)
    session = await scope.create_session(meeting_id=str(81_000_000_000 + secrets.randbelow(10**9)))
    context = StreamContext(tenant.id, session.id, f"stream-{secrets.token_hex(4)}")

    async def written_elsewhere(type_: str, *, wake: bool) -> None:
        """As the webhook inbox or the agent write: in their own transaction, then a wake-up."""
        async with meetmind.database.transaction() as db:
            await EventRepo(db, tenant.id).add(session.id, type_, {}, meetmind.clock.now())
        if wake:
            meetmind.bus.notify(session.id)

    async def turn(text: str, start: int) -> None:
        meetmind.ingestor.submit(context, TranscriptReceived(text, start, start + 500, "u", "A"))
        await meetmind.ingestor.drained()

    events: asyncio.Queue[FeedEvent] = asyncio.Queue()
    following = asyncio.create_task(_follow(scope, session.id, events))
    await turn("one", 1_000)
    live = await _next(events, 1)  # the follower is up to date
    await written_elsewhere("rtms.interrupted", wake=False)  # a wake-up lost: the hole shows
    await turn("two", 2_000)
    live += await _next(events, 2)
    await written_elsewhere("rtms.started", wake=True)
    await turn("three", 3_000)
    live += await _next(events, 2)
    following.cancel()
    assert [e.type for e in live] == [
        "transcript.turn",
        "rtms.interrupted",
        "transcript.turn",
        "rtms.started",
        "transcript.turn",
    ]
    assert live == await scope.events(session.id, after=0, limit=100)
