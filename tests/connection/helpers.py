"""Awaiting what the simulator did, instead of sleeping."""

from __future__ import annotations

from meetmind.local import LocalStack
from meetmind.sim.record import Entry


async def webhook_delivered(stack: LocalStack, event: str, *, since: int = 0) -> Entry:
    """Wait until the simulator got an answer to ``event``, then until MeetMind processed it."""
    entry = await stack.sim.record.wait_for(
        lambda e: e.channel == "webhook" and e.kind == event and "status" in e.data,
        since=since,
    )
    await stack.meetmind.zoom_inbox.drained()
    return entry
