"""Every scripted utterance stored exactly once, in order, with the right speaker."""

from __future__ import annotations

from meetmind.local import LocalStack
from tests.streams.conftest import FollowMeeting, expected_lines, spoken_lines, wait_until_stored


async def test_a_clean_meeting(stream_stack: LocalStack, follow: FollowMeeting) -> None:
    followed = await follow("standup")
    await wait_until_stored(stream_stack, followed)
    turns = await followed.transcript()
    assert spoken_lines(turns) == expected_lines(followed.meeting)
    assert all(t["language"] == "en" for t in turns if t["role"] == "participant")
    assert all(t["end_ms"] >= t["start_ms"] for t in turns)
    session = await followed.session()
    assert session["status"] == "ended"
    client_stats = stream_stack.meetmind.ingestor.stats
    assert client_stats.duplicates == 0
