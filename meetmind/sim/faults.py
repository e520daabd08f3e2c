"""Fault injection: what can go wrong in a simulated meeting, scriptable and injectable live."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from meetmind.domain.errors import InvalidInputError

__all__ = ["MEDIA_KINDS", "Fault", "FaultKind", "parse_fault"]

MEDIA_KINDS = ("audio", "video", "deskshare", "transcript", "chat")
"""Media kinds a fault may target (``all`` targets every media socket)."""


class FaultKind(StrEnum):
    """Every injectable fault."""

    DROP_SIGNALING = "drop_signaling"
    """Abort the signaling socket and every media socket; webhook ``meeting.rtms_interrupted``."""
    DROP_MEDIA = "drop_media"
    """Abort one media socket (``media``) or all; event 7 + stream state INTERRUPTED/14."""
    FAILOVER = "failover"
    """Move the stream to a new RTMS server; a second ``meeting.rtms_started`` with new URLs."""
    DUPLICATE_FRAMES = "duplicate_frames"
    """Send each of the next ``count`` media frames twice."""
    MALFORMED_FRAMES = "malformed_frames"
    """Send ``count`` malformed frames on the media sockets (``media``) or signaling."""
    DELAY_FRAMES = "delay_frames"
    """Hold media frames for ``duration`` simulated seconds, then deliver them in a burst."""
    STOP_KEEPALIVE = "stop_keepalive"
    """Stop sending keep-alive requests (``socket``: signaling, media or all)."""
    RESUME_KEEPALIVE = "resume_keepalive"
    """Start sending keep-alive requests again."""
    DUPLICATE_WEBHOOK = "duplicate_webhook"
    """Deliver each of the next ``count`` webhooks twice."""
    PAUSE = "pause"
    """Pause the RTMS stream (as the REST ``pause`` action does)."""
    RESUME = "resume"
    """Resume a paused RTMS stream."""
    END_MEETING = "end_meeting"
    """End the meeting (stream TERMINATED reason 6, ``meeting.rtms_stopped``)."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault.

    Attributes:
        kind: What goes wrong.
        at: Seconds after meeting start (scripts) or ``None`` for "now".
        media: Media kind for media faults (``audio``, ``transcript``, ... or ``all``).
        socket: ``signaling``, ``media`` or ``all`` for keep-alive and malformed-frame faults.
        count: How many frames/webhooks for counting faults.
        duration: Simulated seconds for ``delay_frames``.
    """

    kind: FaultKind
    at: float | None = None
    media: str = "all"
    socket: str = "all"
    count: int = 1
    duration: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-compatible dict."""
        return {
            "kind": self.kind.value,
            "at": self.at,
            "media": self.media,
            "socket": self.socket,
            "count": self.count,
            "duration": self.duration,
        }


def parse_fault(raw: Mapping[str, Any], where: str = "fault") -> Fault:
    """Validate a fault given as JSON/YAML.

    Raises:
        InvalidInputError: Unknown kind or bad field.
    """
    try:
        kind = FaultKind(str(raw.get("kind")))
    except ValueError:
        raise InvalidInputError(
            f"{where}.kind",
            f"unknown fault {raw.get('kind')!r}; one of {[k.value for k in FaultKind]}",
        ) from None
    at = raw.get("at")
    if at is not None and (not isinstance(at, int | float) or isinstance(at, bool) or at < 0):
        raise InvalidInputError(f"{where}.at", "must be a non-negative number of seconds")
    media = str(raw.get("media", "all"))
    if media not in (*MEDIA_KINDS, "all"):
        raise InvalidInputError(f"{where}.media", f"must be one of {[*MEDIA_KINDS, 'all']}")
    socket = str(raw.get("socket", "all"))
    if socket not in ("signaling", "media", "all"):
        raise InvalidInputError(f"{where}.socket", "must be signaling, media or all")
    count = raw.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise InvalidInputError(f"{where}.count", "must be a positive integer")
    duration = raw.get("duration", 0.0)
    if not isinstance(duration, int | float) or isinstance(duration, bool) or duration < 0:
        raise InvalidInputError(f"{where}.duration", "must be a non-negative number")
    return Fault(kind, None if at is None else float(at), media, socket, count, float(duration))
