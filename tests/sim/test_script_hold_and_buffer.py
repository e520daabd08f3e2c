"""A script held until RTMS starts, and Zoom's media buffer for a stream nobody receives yet."""

from __future__ import annotations

from typing import Any

from meetmind.sim import SimConfig
from meetmind.zoom.rtms import protocol as p

from .conftest import RawSession, SimFactory, join

LINES: dict[str, Any] = {
    "title": "Ten lines",
    "duration": 80,
    "participants": [{"id": "ana", "name": "Ana Silva", "join": 0, "host": True}],
    "faults": [{"kind": "duplicate_frames", "at": 5, "count": 1}],
    "utterances": [
        {"at": 1 + 6 * n, "speaker": "ana", "duration": 2, "text": f"Line {n:02d}."}
        for n in range(10)
    ],
}
TEXTS = [f"Line {n:02d}." for n in range(10)]


async def test_a_held_script_starts_with_rtms(
    make_sim: SimFactory, sessions: list[RawSession]
) -> None:
    sim = await make_sim(time_scale=50, config=SimConfig(rtms_start_delay_s=0.1))
    meeting = sim.create_meeting(LINES, wait_for_rtms=True)
    await sim.clock.sleep(120)  # longer than the whole script: nothing happens while it waits
    assert meeting.status == "started"
    assert meeting.present_participants() == []
    assert meeting.script_time() == 0.0
    assert sim.record.entries(kind="utterance") == []
    assert sim.record.entries(kind="duplicate_frames") == []  # script faults wait too

    stream = sim.start_rtms(meeting)
    assert sim.record.entries(kind="script.started", meeting_id=meeting.id)
    s = await join(sim, stream)
    sessions.append(s)
    got = await s.wait(
        lambda: (
            len({m.data for m in s.of("transcript", p.MediaDataTranscript)}) == len(TEXTS)
            and s.of("transcript", p.MediaDataTranscript)
        )
    )
    assert list(dict.fromkeys(m.data for m in got)) == TEXTS
    assert sim.record.entries(kind="duplicate_frames")


async def test_media_older_than_the_buffer_window_is_never_sent(
    make_sim: SimFactory, sessions: list[RawSession]
) -> None:
    sim = await make_sim(
        time_scale=50, config=SimConfig(rtms_start_delay_s=0.1, buffer_window_s=20)
    )
    meeting = sim.create_meeting({**LINES, "faults": []})
    stream = sim.start_rtms(meeting)
    await sim.clock.sleep(45)  # lines 0-6 spoken (ends at 3, 9, ..., 39), nobody connected
    s = await join(sim, stream)
    sessions.append(s)
    got = await s.wait(
        lambda: (
            any(m.data == TEXTS[-1] for m in s.of("transcript", p.MediaDataTranscript))
            and s.of("transcript", p.MediaDataTranscript)
        )
    )
    texts = [m.data for m in got]
    # Lines that ended more than 20 s before the join are gone; the rest arrive in order.
    assert texts[0] in (TEXTS[4], TEXTS[5])
    assert texts == TEXTS[TEXTS.index(texts[0]) :]
    expired = sim.record.entries(kind="buffer_expired", meeting_id=meeting.id)
    assert len(expired) == TEXTS.index(texts[0])
