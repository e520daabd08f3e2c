"""Soak: many meetings at once, each with its own random schedule of Zoom's failures.

The schedule comes from a seed (printed, and settable with ``MEETMIND_SOAK_SEED``) so a failure
can be replayed; ``MEETMIND_SOAK_MEETINGS`` makes the run bigger (default 8 at once) and
``MEETMIND_SOAK_FAILOVER=1`` adds server failovers to the mix.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
from typing import Any

from meetmind.local import LocalStack
from tests.streams.conftest import (
    Followed,
    expected_lines,
    spoken_lines,
    start_meeting,
    wait_until_stored,
    zoom_tenant,
)

MEETINGS = int(os.environ.get("MEETMIND_SOAK_MEETINGS", "8"))
WITH_FAILOVER = os.environ.get("MEETMIND_SOAK_FAILOVER") == "1"


def random_faults(rng: random.Random, duration_s: float) -> list[dict[str, Any]]:
    """A few of Zoom's failures at random moments of a meeting (none that loses data at Zoom)."""
    kinds: list[dict[str, Any]] = [
        {"kind": "drop_media", "media": "transcript"},
        {"kind": "drop_media", "media": "all"},
        {"kind": "drop_signaling"},
        *([{"kind": "failover"}] if WITH_FAILOVER else []),
        {"kind": "duplicate_frames", "count": 5},
        {"kind": "malformed_frames", "count": 4, "socket": "all"},
        {"kind": "delay_frames", "duration": 10},
    ]
    faults = []
    for _ in range(rng.randint(2, 5)):
        fault = dict(rng.choice(kinds))
        fault["at"] = round(rng.uniform(10, duration_s - 30), 1)
        faults.append(fault)
    return sorted(faults, key=lambda f: f["at"])


async def test_meetings_under_random_faults_lose_nothing(stream_stack: LocalStack) -> None:
    seed = int(os.environ.get("MEETMIND_SOAK_SEED", secrets.randbelow(2**32)))
    print(f"\nsoak seed {seed} ({MEETINGS} meetings)")
    rng = random.Random(seed)
    async with zoom_tenant(stream_stack) as http:
        schedules = [random_faults(rng, 300) for _ in range(MEETINGS)]
        followed: list[Followed] = [
            await start_meeting(stream_stack, http, "standup", faults) for faults in schedules
        ]
        async with asyncio.timeout(120):
            await asyncio.gather(*(wait_until_stored(stream_stack, f) for f in followed))
        for meeting, faults in zip(followed, schedules, strict=True):
            turns = await meeting.transcript()
            assert spoken_lines(turns) == expected_lines(meeting.meeting), (seed, faults)
            assert len({t["start_ms"] for t in turns}) == len(turns), (seed, faults)
            assert (await meeting.session())["status"] == "ended", (seed, faults)
    assert stream_stack.sim.record.entries(kind="keepalive_timeout") == []
