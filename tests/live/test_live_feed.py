"""Following a meeting live over SSE and WebSocket, resuming without gaps or duplicates."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from meetmind.local import LocalStack
from tests.streams.conftest import FollowMeeting, expected_lines, spoken_lines, wait_until_stored


async def sse_events(
    http: httpx.AsyncClient, url: str, *, headers: dict[str, str] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Parse a Server-Sent Events response into its JSON ``data`` objects (ids checked)."""
    async with http.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line == "":
                if "data" in fields:
                    data = json.loads(fields["data"])
                    assert fields["id"] == str(data["id"])
                    assert fields["event"] == data["type"]
                    yield data
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value


def is_end(event: dict[str, Any]) -> bool:
    return event["type"] == "stream.state" and event["payload"]["phase"] in {"stopped", "failed"}


async def test_sse_follows_a_meeting_live(stream_stack: LocalStack, follow: FollowMeeting) -> None:
    followed = await follow("standup")
    seen: list[dict[str, Any]] = []
    async for event in sse_events(
        followed.http, f"/api/v1/sdk/sessions/{followed.session_id}/events"
    ):
        seen.append(event)
        if is_end(event):
            break
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    turns = [e["payload"] for e in seen if e["type"] == "transcript.turn"]
    assert spoken_lines(turns) == expected_lines(followed.meeting)
    types = {e["type"] for e in seen}
    assert {"rtms.control", "rtms.started", "participant.joined", "chat.message"} <= types
    assert all(e["session_id"] == followed.session_id for e in seen)


async def test_websocket_follows_a_meeting_live(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow("standup")
    key = followed.http.headers["authorization"].split()[1]
    url = stream_stack.api_url.replace("http", "ws") + (
        f"/api/v1/sdk/sessions/{followed.session_id}/events/ws"
    )
    seen: list[dict[str, Any]] = []
    async with ws_connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        async for message in ws:
            event = json.loads(message)
            if event["type"] == "ping":
                continue
            seen.append(event)
            if is_end(event):
                break
    turns = [e["payload"] for e in seen if e["type"] == "transcript.turn"]
    assert spoken_lines(turns) == expected_lines(followed.meeting)


async def test_reconnecting_with_last_event_id_sees_everything_once(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow("standup")
    url = f"/api/v1/sdk/sessions/{followed.session_id}/events"
    seen: list[dict[str, Any]] = []
    disconnects = 0
    last: int | None = None
    while not seen or not is_end(seen[-1]):
        headers = {"Last-Event-ID": str(last)} if last is not None else None
        got = 0
        async for event in sse_events(followed.http, url, headers=headers):
            seen.append(event)
            last = event["id"]
            got += 1
            if is_end(event) or got == 7:  # drop the connection every 7 events
                break
        disconnects += 1
    assert disconnects > 3
    ids = [e["id"] for e in seen]
    assert ids == sorted(set(ids))
    await wait_until_stored(stream_stack, followed)
    full = await stream_stack.meetmind.tenant(
        (
            await stream_stack.meetmind.authenticate(
                followed.http.headers["authorization"].split()[1]
            )
        ).tenant_id
    ).events(followed.session_id, limit=500)
    # Everything up to where the follower stopped (events such as rtms.stopped may follow the
    # stream's end), with nothing missing and nothing twice.
    assert ids == [e.id for e in full if e.id <= ids[-1]]


async def test_websocket_resumes_with_after(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow("standup")
    await wait_until_stored(stream_stack, followed)
    key = followed.http.headers["authorization"].split()[1]
    base = stream_stack.api_url.replace("http", "ws")
    url = f"{base}/api/v1/sdk/sessions/{followed.session_id}/events/ws"
    async with ws_connect(f"{url}?after=5&access_token={key}") as ws:
        first = json.loads(await ws.recv())
    assert first["id"] > 5
    events = await stream_stack.meetmind.tenant(
        (await stream_stack.meetmind.authenticate(key)).tenant_id
    ).events(followed.session_id, after=5, limit=1)
    assert first["id"] == events[0].id


async def test_another_tenant_cannot_follow(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow("standup")
    other = await stream_stack.meetmind.create_tenant(f"o-{secrets.token_hex(4)}")
    key = (await stream_stack.meetmind.create_api_key(other.id)).secret
    url = f"/api/v1/sdk/sessions/{followed.session_id}/events"
    async with httpx.AsyncClient(base_url=stream_stack.api_url) as http:
        answer = await http.get(url, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
        assert (await http.get(url)).status_code == 401
        bad = await http.get(url, headers={"Authorization": f"Bearer {key}", "Last-Event-ID": "x"})
        assert bad.status_code in (404, 422)
    ws_url = stream_stack.api_url.replace("http", "ws") + url + "/ws"
    for query, code in [(f"?access_token={key}", 4404), ("", 4401), ("?access_token=mm_x", 4401)]:
        with pytest.raises((ConnectionClosed, InvalidStatus)) as info:
            async with ws_connect(ws_url + query) as ws:
                await asyncio.wait_for(ws.recv(), 5)
        if isinstance(info.value, ConnectionClosed):
            assert info.value.rcvd is not None and info.value.rcvd.code == code
