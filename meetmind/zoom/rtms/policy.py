"""Decisions of the RTMS client, pure: what a message means for the connection, and backoff.

The asyncio client (``client.py``) only moves frames; everything it decides comes from here, so
Zoom's failover table can be tested without a loop or a socket.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from meetmind.domain.events import (
    ActiveSpeakerChanged,
    AudioReceived,
    ChatReceived,
    ParticipantsChanged,
    StreamEvent,
    StreamPhase,
    StreamStateChanged,
    TranscriptReceived,
)
from meetmind.zoom.rtms.enums import EventType, StatusCode, StopReason, StreamState
from meetmind.zoom.rtms.languages import language_tag
from meetmind.zoom.rtms.messages import (
    EventUpdate,
    MediaDataAudio,
    MediaDataChat,
    MediaDataTranscript,
    Message,
    SessionStateUpdate,
    StreamStateUpdate,
)

__all__ = [
    "Backoff",
    "HandshakeVerdict",
    "SignalingDirective",
    "classify_handshake_status",
    "signaling_directive",
    "to_stream_event",
]


class HandshakeVerdict(Enum):
    """What a non-zero handshake ``status_code`` means for us."""

    RETRY = "retry"
    """Transient (duplicate connection, server trouble): back off and try again."""
    SKIP_MEDIA = "skip_media"
    """This media type is not allowed for the app's scopes: stream without it."""
    FATAL = "fatal"
    """Will never work (bad signature, unknown stream, malformed request): give up."""
    AWAIT_FAILOVER = "await_failover"
    """The server no longer knows a stream we were streaming: after a failover the old node
    says so until the ``rtms_started`` with the new servers arrives. Wait for it, then give up."""


_RETRY_STATUSES = frozenset(
    {
        StatusCode.DUPLICATE_SIGNAL_REQUEST,
        StatusCode.MEDIA_DATA_ALL_CONNECTION_EXIST,
        StatusCode.DUPLICATE_MEDIA_DATA_CONNECTION,
        StatusCode.INTERNAL_EXCEPTION,
    }
)
_SKIP_STATUSES = frozenset(
    range(9, 14)
)  # MEDIA_TYPE_{AUDIO,VIDEO,DESKSHARE,TRANSCRIPT,CHAT}_NOT_SUPPORT


def classify_handshake_status(status_code: int, *, reconnecting: bool = False) -> HandshakeVerdict:
    """Sort a handshake failure into retry, skip-this-media, await-failover or fatal."""
    if reconnecting and status_code == StatusCode.INVALID_RTMS_STREAM_ID:
        return HandshakeVerdict.AWAIT_FAILOVER
    if status_code in _RETRY_STATUSES:
        return HandshakeVerdict.RETRY
    if status_code in _SKIP_STATUSES:
        return HandshakeVerdict.SKIP_MEDIA
    return HandshakeVerdict.FATAL


@dataclass(frozen=True)
class SignalingDirective:
    """What a signaling message asks the client to do (besides reporting events)."""

    reconnect_media: bool = False
    """Zoom says a media connection dropped (event 7, or stream INTERRUPTED with reason 14)."""
    terminate: StopReason | int | None = None
    """The stream is over (TERMINATED), with this stop reason."""


def signaling_directive(message: Message) -> SignalingDirective:
    """The connection-level meaning of a signaling message."""
    if isinstance(message, EventUpdate):
        if message.event.event_type == EventType.MEDIA_CONNECTION_INTERRUPTED:
            return SignalingDirective(reconnect_media=True)
    elif isinstance(message, StreamStateUpdate):
        if message.state == StreamState.TERMINATED:
            return SignalingDirective(terminate=message.reason or StopReason.UNDEFINED)
        if (
            message.state == StreamState.INTERRUPTED
            and message.reason == StopReason.STOP_BC_DATA_CONNECTION_INTERRUPTED
        ):
            return SignalingDirective(reconnect_media=True)
    return SignalingDirective()


def _id(value: int | str | None) -> str | None:
    return None if value is None else str(value)


def to_stream_event(message: Message) -> StreamEvent | None:
    """The platform-neutral event carried by a message, if it carries one."""
    if isinstance(message, MediaDataTranscript):
        start = message.start_time if message.start_time is not None else message.timestamp
        if start is None:
            return None
        end = message.end_time if message.end_time is not None else start
        return TranscriptReceived(
            text=message.data,
            start_ms=start,
            end_ms=max(end, start),
            speaker_id=_id(message.user_id),
            speaker_name=message.user_name,
            language=language_tag(message.language),
        )
    if isinstance(message, MediaDataAudio):
        return AudioReceived(
            data=message.data,
            timestamp_ms=message.timestamp,
            speaker_id=_id(message.user_id),
            speaker_name=message.user_name or None,
        )
    if isinstance(message, MediaDataChat):
        return ChatReceived(
            text=message.data,
            timestamp_ms=message.timestamp or 0,
            sender_id=_id(message.user_id),
            sender_name=message.user_name,
        )
    if isinstance(message, EventUpdate):
        event = message.event
        if event.event_type in (EventType.PARTICIPANT_JOIN, EventType.PARTICIPANT_LEAVE):
            people = tuple((str(p.user_id), p.user_name) for p in event.participants or ())
            return ParticipantsChanged(
                joined=event.event_type == EventType.PARTICIPANT_JOIN,
                participants=people,
                timestamp_ms=event.timestamp,
            )
        if event.event_type == EventType.ACTIVE_SPEAKER_CHANGE and event.user_id is not None:
            return ActiveSpeakerChanged(
                speaker_id=str(event.user_id),
                speaker_name=event.user_name,
                timestamp_ms=event.timestamp,
            )
        return None
    if isinstance(message, StreamStateUpdate):
        phase = {
            int(StreamState.PAUSED): StreamPhase.PAUSED,
            int(StreamState.RESUMED): StreamPhase.RESUMED,
        }.get(message.state)
        return StreamStateChanged(phase, reason=message.reason) if phase else None
    if isinstance(message, SessionStateUpdate):
        phase = {3: StreamPhase.PAUSED, 4: StreamPhase.RESUMED}.get(message.state)
        return StreamStateChanged(phase, reason=message.reason) if phase else None
    return None


class Backoff:
    """Zoom's reconnection backoff: ``base`` doubling to ``cap``, jittered, reset on success."""

    def __init__(
        self, base: float = 3.0, cap: float = 30.0, *, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()
        self.attempt = 0

    def next(self) -> float:
        """The delay before the next attempt (between 80% and 100% of the nominal value)."""
        nominal = min(self.cap, self.base * float(1 << min(self.attempt, 30)))
        self.attempt += 1
        jitter: float = self._rng.uniform(0.8, 1.0)
        return nominal * jitter

    def reset(self) -> None:
        """After a successful connection the next failure starts from ``base`` again."""
        self.attempt = 0

    def __iter__(self) -> Iterator[float]:
        while True:
            yield self.next()
