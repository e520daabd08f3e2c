"""Zoom's documented failures mid-meeting: still every utterance exactly once, in order."""

from __future__ import annotations

from typing import Any

import pytest

from meetmind.local import LocalStack
from tests.streams.conftest import (
    FollowMeeting,
    expected_lines,
    joined_client,
    spoken_lines,
    wait_until_stored,
)

FAULTS: dict[str, list[dict[str, Any]]] = {
    "media socket dropped": [{"kind": "drop_media", "at": 50, "media": "transcript"}],
    "every media socket dropped": [{"kind": "drop_media", "at": 70, "media": "all"}],
    "signaling dropped": [{"kind": "drop_signaling", "at": 50}],
    "server failover": [{"kind": "failover", "at": 60}],
    "duplicated frames": [{"kind": "duplicate_frames", "at": 20, "count": 12}],
    "malformed frames": [
        {"kind": "malformed_frames", "at": 30, "count": 6, "socket": "all"},
        {"kind": "malformed_frames", "at": 90, "count": 6, "socket": "media"},
    ],
    "delayed burst": [{"kind": "delay_frames", "at": 40, "duration": 30}],
    "duplicated webhooks": [{"kind": "duplicate_webhook", "count": 3}],
    "everything at once": [
        {"kind": "duplicate_frames", "at": 10, "count": 5},
        {"kind": "drop_media", "at": 30, "media": "transcript"},
        {"kind": "malformed_frames", "at": 45, "count": 3, "socket": "all"},
        {"kind": "drop_signaling", "at": 60},
        {"kind": "failover", "at": 100},
        {"kind": "delay_frames", "at": 120, "duration": 15},
        {"kind": "drop_media", "at": 150, "media": "all"},
    ],
}


@pytest.mark.parametrize("faults", list(FAULTS.values()), ids=list(FAULTS))
async def test_transcript_survives(
    stream_stack: LocalStack, follow: FollowMeeting, faults: list[dict[str, Any]]
) -> None:
    followed = await follow("standup", faults=faults)
    client = await joined_client(stream_stack, followed)
    await wait_until_stored(stream_stack, followed)
    turns = await followed.transcript()
    assert spoken_lines(turns) == expected_lines(followed.meeting)
    assert len({t["start_ms"] for t in turns}) == len(turns)
    assert (await followed.session())["status"] == "ended"
    assert stream_stack.sim.record.entries(kind="keepalive_timeout") == []
    malformed = sum(f.get("count", 0) for f in faults if f["kind"] == "malformed_frames")
    if all(f["kind"] == "malformed_frames" for f in faults):
        # Without reconnects the same client saw every bad frame, counted and skipped them.
        assert client.stats.malformed_frames >= malformed
    elif not malformed:
        assert client.stats.malformed_frames == 0


async def test_reconnects_are_the_ones_zoom_asked_for(
    stream_stack: LocalStack, follow: FollowMeeting
) -> None:
    followed = await follow(
        "standup",
        faults=[
            {"kind": "drop_media", "at": 40, "media": "transcript"},
            {"kind": "failover", "at": 200},  # well after the media reconnect, even under load
        ],
    )
    client = await joined_client(stream_stack, followed)
    await wait_until_stored(stream_stack, followed)
    assert client.stats.media_reconnects == 1
    assert client.stats.connects == 2  # the first join and the failover
    assert client.stats.malformed_frames == 0
