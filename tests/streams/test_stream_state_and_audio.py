"""Session status follows the stream; audio goes to a WAV file; keep-alives hold under load."""

from __future__ import annotations

import secrets
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from meetmind.local import LocalStack, connect_zoom, local_stack
from meetmind.store.schema import SessionEventRow
from tests.streams.conftest import (
    FAST_RECONNECT,
    Followed,
    FollowMeeting,
    joined_client,
    wait_until_stored,
)


async def test_pause_and_resume_from_zoom_move_the_session(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow(
        "standup",
        faults=[{"kind": "pause", "at": 120}, {"kind": "resume", "at": 160}],
    )
    client = await joined_client(stream_stack, followed)
    await wait_until_stored(stream_stack, followed)
    async with stream_stack.meetmind.database.transaction() as db:
        rows = await db.scalars(
            select(SessionEventRow)
            .where(
                SessionEventRow.session_id == followed.session_id,
                SessionEventRow.type == "stream.state",
            )
            .order_by(SessionEventRow.id)
        )
        seen = [f"{r.payload['phase']}:{r.payload['status']}" for r in rows]
    assert seen[0] == "connected:listening"
    assert "paused:paused" in seen
    assert seen.index("paused:paused") < seen.index("resumed:listening")
    assert seen[-1] == "stopped:ended"
    assert client.stats.keepalives_answered > 0
    assert (await followed.session())["status"] == "ended"


@pytest.fixture
async def audio_stack(database_url: str, tmp_path: Path) -> AsyncIterator[LocalStack]:
    """Real-time-ish audio: x5 means 250 audio frames a second on the audio socket."""
    async with local_stack(
        database_url=database_url,
        time_scale=5,
        settings={
            "rtms_media": ["transcript", "audio"],
            "data_dir": str(tmp_path),
            **FAST_RECONNECT,
        },
    ) as stack:
        yield stack


SHORT: dict[str, object] = {
    "title": "Audio check",
    "duration": 12,
    "participants": [{"id": "ana", "name": "Ana Silva", "join": 0, "host": True, "tone": 300}],
    "utterances": [
        {"at": 1, "speaker": "ana", "duration": 3, "text": "Testing one two three."},
        {"at": 6, "speaker": "ana", "duration": 3, "text": "Still here, still talking."},
    ],
}


async def test_audio_is_recorded_and_keepalives_hold(audio_stack: LocalStack) -> None:
    created = await audio_stack.meetmind.create_tenant(f"t-{secrets.token_hex(4)}")
    key = await audio_stack.meetmind.create_api_key(created.id)
    headers = {"Authorization": f"Bearer {key.secret}"}
    async with httpx.AsyncClient(base_url=audio_stack.api_url, headers=headers) as http:
        await connect_zoom(http)
        meeting_id = 80_000_000_000 + secrets.randbelow(9_999_999_999)
        meeting = audio_stack.sim.create_meeting(SHORT, meeting_id=meeting_id, wait_for_rtms=True)
        session = (
            await http.post(
                "/api/v1/sdk/sessions",
                json={"meeting_id": str(meeting_id), "record_audio": True},
            )
        ).json()
        assert session["record_audio"] is True
        await http.post(f"/api/v1/sdk/sessions/{session['id']}/rtms/start")
        followed = Followed(meeting, session["id"], http)
        await wait_until_stored(audio_stack, followed)
        stored = await followed.session()
        turns = await followed.transcript()
    assert [t["text"] for t in turns] == [
        "Testing one two three.",
        "Still here, still talking.",
    ]
    assert stored["audio_path"]
    with wave.open(stored["audio_path"], "rb") as recording:
        assert recording.getframerate() == 16_000
        assert recording.getnchannels() == 1
        assert recording.getsampwidth() == 2
        seconds = recording.getnframes() / 16_000
    sent = audio_stack.sim.record.entries(channel="media", direction="sent", kind="msg_type:14")
    assert sent, "the simulator sent audio"
    assert seconds == pytest.approx(len(sent) * 0.02, rel=0.02)
    assert seconds >= 10
    assert audio_stack.sim.record.entries(kind="keepalive_timeout") == []
