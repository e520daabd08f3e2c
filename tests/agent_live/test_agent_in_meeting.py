"""In a simulated meeting: "Hey MeetMind, can you recap…" -> one detection, one reply that
reaches the meeting; ordinary talk -> none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from meetmind.local import LocalStack
from meetmind.store.schema import SessionEventRow
from tests.streams.conftest import Followed, FollowMeeting, wait_until_stored


async def feed(stack: LocalStack, followed: Followed, type_: str) -> list[dict[str, Any]]:
    async with stack.meetmind.database.transaction() as db:
        rows = await db.scalars(
            select(SessionEventRow)
            .where(SessionEventRow.session_id == followed.session_id, SessionEventRow.type == type_)
            .order_by(SessionEventRow.seq)
        )
        return [dict(row.payload) for row in rows]


async def test_the_standup_recap_request(stream_stack: LocalStack, follow: FollowMeeting) -> None:
    followed = await follow("standup")
    await wait_until_stored(stream_stack, followed)
    await stream_stack.meetmind.agent.drained()

    detections = await feed(stream_stack, followed, "wake_word.detected")
    assert len(detections) == 1
    detection = detections[0]
    assert detection["speaker_name"] == "Carol Diaz"
    assert detection["request"].lower().startswith("can you recap the action items")

    replies = await feed(stream_stack, followed, "agent.reply")
    assert len(replies) == 1
    reply = replies[0]
    assert reply["delivered"] is True
    assert reply["bridge"] == "simulator"
    assert reply["responder"] == "extractive"
    assert {"detect_ms", "respond_ms", "deliver_ms", "total_ms"} <= reply["timings"].keys()
    # The reply is about the meeting: the action items that were said.
    assert "Dana" in reply["text"] or "estimates" in reply["text"] or "runbook" in reply["text"]

    # It reached the simulated meeting as the agent's chat message and utterance.
    posts = followed.meeting.agent_posts
    assert sorted(p["kind"] for p in posts) == ["chat", "utterance"]
    assert all(p["text"] == reply["text"] for p in posts)

    # And it is in the transcript, as the agent's turn, right after the request.
    turns = await followed.transcript()
    agent_turns = [t for t in turns if t["role"] == "agent"]
    assert [t["text"] for t in agent_turns] == [reply["text"]]
    index = turns.index(agent_turns[0])
    assert "Hey MeetMind" in turns[index - 1]["text"]
    # Zoom also transcribes the agent's speech; that echo never triggers the agent again.
    echoes = [t for t in turns if t["role"] == "participant" and t["speaker_name"] == "MeetMind"]
    assert [t["text"] for t in echoes] == [reply["text"]]


async def test_ordinary_talk_triggers_nothing(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    script = {
        "title": "No agent here",
        "duration": 40,
        "participants": [
            {"id": "a", "name": "Ana", "join": 0, "host": True},
            {"id": "b", "name": "Ben", "join": 0},
        ],
        "utterances": [
            {"at": 1, "speaker": "a", "text": "We need to meet, mind the gap in the schedule."},
            {"at": 5, "speaker": "b", "text": "The meeting mindset matters more than the tools."},
            {"at": 9, "speaker": "a", "text": "Let's meet my team on Friday."},
            {"at": 13, "speaker": "b", "text": "Hey Mike, can you recap the budget?"},
            {"at": 17, "speaker": "a", "text": "I read about MeetMind's transcript feature."},
        ],
    }
    followed = await follow(script)
    await wait_until_stored(stream_stack, followed)
    await stream_stack.meetmind.agent.drained()
    assert await feed(stream_stack, followed, "wake_word.detected") == []
    assert await feed(stream_stack, followed, "agent.reply") == []


async def test_speak_sends_an_arbitrary_reply(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow("standup")
    answer = await followed.http.post(
        f"/api/v1/sdk/sessions/{followed.session_id}/speak",
        json={"text": "I'm taking notes for this meeting.", "mode": "chat"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["delivered"] is True
    assert body["channels"] == ["chat"]
    chats = stream_stack.sim.record.entries(channel="agent", meeting_id=followed.meeting.id)
    assert any(e.data.get("text") == "I'm taking notes for this meeting." for e in chats)
    bad = await followed.http.post(
        f"/api/v1/sdk/sessions/{followed.session_id}/speak", json={"text": ""}
    )
    assert bad.status_code == 422
    missing = await followed.http.post("/api/v1/sdk/sessions/ses_nope/speak", json={"text": "hi"})
    assert missing.status_code == 404
