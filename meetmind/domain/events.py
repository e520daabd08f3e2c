"""Typed events of a live meeting, as the stream client reports them (platform-neutral)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ActiveSpeakerChanged",
    "AudioReceived",
    "ChatReceived",
    "ParticipantsChanged",
    "StreamEvent",
    "StreamPhase",
    "StreamStateChanged",
    "TranscriptReceived",
]


@dataclass(frozen=True, slots=True)
class TranscriptReceived:
    """One utterance of one speaker (times in ms since the epoch)."""

    text: str
    start_ms: int
    end_ms: int
    speaker_id: str | None
    speaker_name: str | None
    language: str | None = None
    """BCP 47 tag, e.g. ``en``."""


@dataclass(frozen=True, slots=True)
class AudioReceived:
    """A chunk of audio (raw bytes as negotiated, e.g. 16 kHz mono L16)."""

    data: bytes = field(repr=False)
    timestamp_ms: int
    speaker_id: str | None = None
    speaker_name: str | None = None


@dataclass(frozen=True, slots=True)
class ChatReceived:
    """A chat line in the meeting."""

    text: str
    timestamp_ms: int
    sender_id: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True, slots=True)
class ParticipantsChanged:
    """People joined or left (``joined`` False)."""

    joined: bool
    participants: tuple[tuple[str, str | None], ...]
    timestamp_ms: int | None


@dataclass(frozen=True, slots=True)
class ActiveSpeakerChanged:
    """Someone else is speaking now."""

    speaker_id: str
    speaker_name: str | None
    timestamp_ms: int | None


class StreamPhase(StrEnum):
    """What happened to the stream connection."""

    CONNECTED = "connected"
    PAUSED = "paused"
    RESUMED = "resumed"
    INTERRUPTED = "interrupted"
    RECONNECTED = "reconnected"
    STOPPED = "stopped"
    FAILED = "failed"
    LEFT = "left"
    """MeetMind disconnected on its own (shutdown); Zoom keeps the stream for a while."""


@dataclass(frozen=True, slots=True)
class StreamStateChanged:
    """The stream connected, paused, resumed, was interrupted, stopped or failed."""

    phase: StreamPhase
    reason: int | None = None
    detail: str | None = None


StreamEvent = (
    TranscriptReceived
    | AudioReceived
    | ChatReceived
    | ParticipantsChanged
    | ActiveSpeakerChanged
    | StreamStateChanged
)
"""Anything a live stream reports."""
