"""The event types of a session's feed (live events and outgoing webhooks). Pure."""

from __future__ import annotations

from meetmind.domain.errors import InvalidInputError

__all__ = ["EVENT_TYPES", "normalize_event_types"]

EVENT_TYPES: dict[str, str] = {
    "transcript.turn": "A participant's utterance was stored (text, speaker, start/end ms).",
    "chat.message": "A chat line in the meeting.",
    "participant.joined": "People joined the meeting.",
    "participant.left": "People left the meeting.",
    "speaker.active": "The active speaker changed.",
    "stream.state": "The RTMS stream connected, paused, resumed, was interrupted or ended.",
    "rtms.control": "MeetMind asked Zoom to start, stop, pause or resume RTMS.",
    "rtms.started": "Zoom started (or failed over) the meeting's RTMS stream.",
    "rtms.stopped": "Zoom stopped the stream (with its stop reason).",
    "rtms.interrupted": "Zoom lost the stream's signaling connection; MeetMind reconnects.",
    "wake_word.detected": "Someone addressed the agent (wake word, request, timings).",
    "agent.reply": "The agent replied (text, bridge result, timings).",
}
"""Every event type, with what it means."""


def normalize_event_types(types: list[str]) -> list[str]:
    """Check subscription patterns: an exact type, ``prefix.*`` or ``*``."""
    if not types:
        raise InvalidInputError("event_types", "subscribe to at least one type (or `*`)")
    if len(types) > 50:
        raise InvalidInputError("event_types", "at most 50 entries")
    prefixes = {name.split(".")[0] for name in EVENT_TYPES}
    cleaned: list[str] = []
    for index, raw in enumerate(types):
        value = raw.strip()
        known = (
            value == "*"
            or value in EVENT_TYPES
            or (value.endswith(".*") and value[:-2] in prefixes)
        )
        if not known:
            raise InvalidInputError(
                f"event_types[{index}]",
                f"unknown event type {value!r}; see GET /api/v1/sdk/event-types",
            )
        if value not in cleaned:
            cleaned.append(value)
    return cleaned
