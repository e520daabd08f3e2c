"""The client against the server's real event feed, during a simulated meeting.

The events client talks through a proxy that aborts every connection on command, so the
resumption runs against the real route (``Last-Event-ID`` from the database, then live events).
"""

from __future__ import annotations

import asyncio

import pytest

from meetmind.client import (
    AsyncMeetMindClient,
    AuthenticationError,
    Event,
    InvalidInputError,
    MeetMindClient,
    NotFoundError,
    ReconnectPolicy,
)
from meetmind.local import LocalStack
from tests.client.conftest import StackTenant, install_zoom
from tests.client.proxy import cutting_proxy

WANTED = 15
CUT_AFTER = {3, 7, 12}


async def live_session(stack: LocalStack, tenant: StackTenant, meeting_id: str) -> str:
    await install_zoom(tenant.client)
    stack.sim.create_meeting("standup", meeting_id=int(meeting_id))
    session = await tenant.client.create_session(meeting_id)
    await tenant.client.start_rtms(session.id)
    return session.id


async def stored(stack: LocalStack, tenant: StackTenant, session_id: str) -> list[Event]:
    feed = await stack.meetmind.tenant(tenant.id).events(session_id, after=0, limit=WANTED)
    return [
        Event(
            id=e.id,
            type=e.type,
            session_id=e.session_id,
            created_at=e.created_at,
            payload=e.payload,
        )
        for e in feed
    ]


async def test_following_a_live_meeting_through_a_cutting_proxy(
    stack: LocalStack, stack_tenant: StackTenant, meeting_id: str
) -> None:
    session_id = await live_session(stack, stack_tenant, meeting_id)
    policy = ReconnectPolicy(initial_delay=0.01, max_delay=1.0)
    got: list[Event] = []
    async with (
        cutting_proxy(stack.api_url) as proxy,
        AsyncMeetMindClient(proxy.url, api_key=stack_tenant.key, reconnect=policy) as client,
        client.events(session_id) as stream,
    ):
        async for event in stream:
            got.append(event)
            if len(got) in CUT_AFTER:
                proxy.cut()
            if len(got) == WANTED:
                break
    assert [e.id for e in got] == list(range(1, WANTED + 1))
    assert got == await stored(stack, stack_tenant, session_id)
    assert {"rtms.control", "transcript.turn"} <= {e.type for e in got}
    # Events that arrived in the same chunk as a cut one are handed out before the client reads
    # (and finds the connection gone), so a resume point is the last event yielded before then.
    first, *resumes = proxy.last_event_ids
    assert first is None
    assert resumes, "the client never had to reconnect"
    assert [int(r) for r in resumes if r] == sorted({int(r) for r in resumes if r})
    assert all(r is not None and 3 <= int(r) < WANTED for r in resumes)


async def test_sync_client_follows_and_resumes_with_after(
    stack: LocalStack, stack_tenant: StackTenant, meeting_id: str
) -> None:
    session_id = await live_session(stack, stack_tenant, meeting_id)

    def follow(after: int | None, count: int) -> list[Event]:
        got: list[Event] = []
        with (
            MeetMindClient(stack.api_url, api_key=stack_tenant.key) as client,
            client.events(session_id, after=after) as stream,
        ):
            for event in stream:
                got.append(event)
                if len(got) == count:
                    break
        return got

    head = await asyncio.to_thread(follow, None, 5)
    tail = await asyncio.to_thread(follow, head[-1].id, WANTED - 5)
    assert head + tail == await stored(stack, stack_tenant, session_id)


async def test_feed_errors_are_typed(stack: LocalStack, stack_tenant: StackTenant) -> None:
    session = await stack_tenant.client.create_session("81234567890")
    with pytest.raises(NotFoundError):
        await anext(aiter(stack_tenant.client.events("ses_missing")))
    with pytest.raises(InvalidInputError) as invalid:
        await anext(aiter(stack_tenant.client.events(session.id, after=-1)))
    assert invalid.value.field == "Last-Event-ID"
    async with AsyncMeetMindClient(stack.api_url, api_key="mm_wrong") as stranger:
        with pytest.raises(AuthenticationError):
            await anext(aiter(stranger.events(session.id)))
