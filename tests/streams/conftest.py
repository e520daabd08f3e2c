"""A simulated meeting followed end to end by MeetMind: start from the backend, stream, store."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from meetmind.local import LocalStack, connect_zoom, local_stack
from meetmind.sim.context import SimConfig
from meetmind.sim.meeting import Meeting
from meetmind.sim.scripts import load_script
from meetmind.zoom.rtms.client import RtmsStreamClient

FAST_RECONNECT = {
    "rtms_reconnect_base_seconds": 0.05,
    "rtms_reconnect_max_seconds": 0.4,
    "rtms_trigger_wait_seconds": 1.5,
}


@pytest.fixture
async def stream_stack(database_url: str) -> AsyncIterator[LocalStack]:
    """Simulator at x100 (a 5-minute stand-up in 3 s); transcript and chat sockets only.

    Zoom buffers 60 s of media for a stream nobody receives and waits 60 s for a reconnection;
    at x100 that is 0.6 s of real time, which MeetMind's own work (not scaled: a webhook's round
    trip, a reconnect on a loaded CI machine) can use up. These tests check what is stored across
    faults, not how fast, so the buffer and the reconnect windows get 10 minutes (6 s real).
    """
    async with local_stack(
        database_url=database_url,
        time_scale=100,
        sim_config=SimConfig(
            buffer_window_s=600, signaling_reconnect_window_s=600, media_reconnect_window_s=600
        ),
        settings={"rtms_media": ["transcript", "chat"], **FAST_RECONNECT},
    ) as stack:
        yield stack


@dataclass
class Followed:
    """A meeting that MeetMind followed, and what it stored."""

    meeting: Meeting
    session_id: str
    http: httpx.AsyncClient

    async def transcript(self) -> list[dict[str, Any]]:
        """Every stored turn, in order, paging through the API."""
        turns: list[dict[str, Any]] = []
        after = None
        while True:
            params = {"limit": "100"} | ({"after": after} if after else {})
            page = (
                await self.http.get(
                    f"/api/v1/sdk/sessions/{self.session_id}/transcript", params=params
                )
            ).json()
            turns += page["data"]
            after = page["next_cursor"]
            if after is None:
                return turns

    async def session(self) -> dict[str, Any]:
        """The session as the API shows it."""
        data: dict[str, Any] = (
            await self.http.get(f"/api/v1/sdk/sessions/{self.session_id}")
        ).json()
        return data


AGENT_NAME = "MeetMind"


def spoken_lines(turns: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(speaker name, text) of the participants' turns: not the agent's replies, nor Zoom's
    transcription of the agent's speech."""
    return [
        (t["speaker_name"], t["text"])
        for t in turns
        if t["role"] == "participant" and t["speaker_name"] != AGENT_NAME
    ]


def expected_lines(meeting: Meeting) -> list[tuple[str, str]]:
    """(speaker name, text) of every scripted utterance, in speaking order."""
    script = meeting.script
    return [(script.participant(u.speaker).name, u.text) for u in script.utterances]


FollowMeeting = Callable[..., Any]


async def start_meeting(
    stack: LocalStack,
    http: httpx.AsyncClient,
    script: str | dict[str, Any] = "standup",
    faults: list[dict[str, Any]] | None = None,
) -> Followed:
    """Create a simulated meeting and a session for it, and start RTMS from the backend."""
    parsed = load_script(script)
    meeting_id = 80_000_000_000 + secrets.randbelow(9_999_999_999)
    meeting = stack.sim.create_meeting(parsed, meeting_id=meeting_id, wait_for_rtms=True)
    for fault in faults or []:
        await stack.sim.inject_fault(meeting, fault)
    session = (await http.post("/api/v1/sdk/sessions", json={"meeting_id": str(meeting_id)})).json()
    answer = await http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
    assert answer.status_code == 200, answer.text
    return Followed(meeting, session["id"], http)


@asynccontextmanager
async def zoom_tenant(stack: LocalStack) -> AsyncIterator[httpx.AsyncClient]:
    """A new tenant with Zoom connected, as an API client."""
    created = await stack.meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    key = await stack.meetmind.create_api_key(created.id)
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers) as http:
        await connect_zoom(http)
        yield http


@pytest.fixture
async def follow(stream_stack: LocalStack) -> AsyncIterator[FollowMeeting]:
    """Start a scripted meeting, have MeetMind start RTMS from the backend, and return."""
    async with zoom_tenant(stream_stack) as http:

        async def start(
            script: str | dict[str, Any] = "standup", faults: list[dict[str, Any]] | None = None
        ) -> Followed:
            return await start_meeting(stream_stack, http, script, faults)

        yield start


async def wait_until_stored(stack: LocalStack, followed: Followed) -> None:
    """Wait for the meeting's stream to end at Zoom and for MeetMind to finish with it."""
    try:
        await stack.sim.record.wait_for(
            lambda e: (
                e.channel == "webhook"
                and e.kind == "meeting.rtms_stopped"
                and e.meeting_id == followed.meeting.id
                and "status" in e.data
            ),
            limit_s=60,
        )
    except TimeoutError:
        tail = [
            f"{e.t:8.2f} {e.channel}/{e.direction} {e.kind} {e.data}"[:300]
            for e in stack.sim.record.entries(meeting_id=followed.meeting.id)[-40:]
        ]
        raise AssertionError(
            "the meeting's rtms_stopped never went out; last entries:\n" + "\n".join(tail)
        ) from None
    await stack.meetmind.zoom_inbox.drained()
    live = stack.meetmind.streams._live.get(followed.session_id)
    if live is not None:
        await live.task
    await stack.meetmind.ingestor.drained()
    await stack.meetmind.agent.drained()


async def joined_client(stack: LocalStack, followed: Followed) -> RtmsStreamClient:
    """The RTMS client MeetMind started for the meeting (once ``rtms_started`` was processed)."""
    await stack.sim.record.wait_for(
        lambda e: (
            e.channel == "webhook"
            and e.kind == "meeting.rtms_started"
            and e.meeting_id == followed.meeting.id
            and "status" in e.data
        ),
    )
    await stack.meetmind.zoom_inbox.drained()
    client = stack.meetmind.streams.client(followed.session_id)
    assert client is not None
    return client
