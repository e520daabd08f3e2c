"""Sessions: their statuses, the allowed transitions, and the rules for new sessions. Pure code.

Status graph (the one place transitions are decided)::

    created ──> rtms_start_requested ──> listening <──> paused
       │                │                   │             │
       │                └──────┬────────────┴─────────────┘
       │                       v
       └─> listening (auto-start)    ended (terminal)   failed (reason; may be started again)
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from meetmind.domain.errors import IllegalTransitionError, InvalidInputError

__all__ = [
    "MAX_AGENT_NAME_LENGTH",
    "MAX_WAKE_WORDS",
    "MAX_WAKE_WORD_LENGTH",
    "Platform",
    "SessionStatus",
    "check_transition",
    "normalize_agent_name",
    "normalize_meeting_id",
    "normalize_meeting_url",
    "normalize_platform",
    "normalize_wake_words",
]

MAX_WAKE_WORDS = 10
MAX_WAKE_WORD_LENGTH = 64
MAX_AGENT_NAME_LENGTH = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""Control characters: never part of a name or URL (and PostgreSQL refuses NUL in text)."""


class Platform(StrEnum):
    """Meeting platforms MeetMind can join."""

    ZOOM = "zoom"


class SessionStatus(StrEnum):
    """Where a session is in its life."""

    CREATED = "created"
    RTMS_START_REQUESTED = "rtms_start_requested"
    LISTENING = "listening"
    PAUSED = "paused"
    ENDED = "ended"
    FAILED = "failed"


_S = SessionStatus
_ALLOWED: dict[SessionStatus, frozenset[SessionStatus]] = {
    _S.CREATED: frozenset({_S.RTMS_START_REQUESTED, _S.LISTENING, _S.ENDED, _S.FAILED}),
    _S.RTMS_START_REQUESTED: frozenset({_S.LISTENING, _S.ENDED, _S.FAILED}),
    _S.LISTENING: frozenset({_S.PAUSED, _S.ENDED, _S.FAILED}),
    _S.PAUSED: frozenset({_S.LISTENING, _S.ENDED, _S.FAILED}),
    _S.ENDED: frozenset(),
    _S.FAILED: frozenset({_S.RTMS_START_REQUESTED, _S.LISTENING, _S.ENDED}),
}


def check_transition(current: SessionStatus, target: SessionStatus) -> None:
    """Raise :class:`IllegalTransitionError` unless ``current -> target`` is allowed.

    Staying in the same status is not a transition and is refused too; callers that want
    idempotence compare first.
    """
    if target not in _ALLOWED[current]:
        raise IllegalTransitionError(
            f"a session that is {current.value!r} cannot become {target.value!r}",
            details={"from": current.value, "to": target.value},
        )


def normalize_platform(value: str) -> Platform:
    """The platform, or :class:`InvalidInputError` naming ``platform``."""
    try:
        return Platform(value.strip().lower())
    except ValueError:
        supported = ", ".join(p.value for p in Platform)
        raise InvalidInputError(
            "platform", f"unknown platform {value!r}; supported: {supported}"
        ) from None


_MEETING_ID_SEPARATORS = re.compile(r"[\s\-]")
_ZOOM_MEETING_ID = re.compile(r"\d{9,12}")
_ZOOM_JOIN_PATH = re.compile(r"/(?:j|w|s|wc(?:/join)?)/(\d{9,12})(?:/|$)")


def normalize_meeting_id(platform: Platform, value: str) -> str:
    """A Zoom meeting id as digits only ("123 4567 8901" -> "12345678901")."""
    digits = _MEETING_ID_SEPARATORS.sub("", value)
    if platform is Platform.ZOOM and not _ZOOM_MEETING_ID.fullmatch(digits):
        raise InvalidInputError(
            "meeting_id", "a Zoom meeting id is 9 to 12 digits (spaces and dashes are ignored)"
        )
    return digits


def normalize_meeting_url(meeting_url: str | None, meeting_id: str) -> str | None:
    """Check a join URL: http(s), with a host, and naming the same meeting if it names one."""
    if meeting_url is None:
        return None
    url = meeting_url.strip()
    if _CONTROL.search(url):
        raise InvalidInputError("meeting_url", "must not contain control characters")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInputError("meeting_url", "must be an http(s) URL with a host")
    if len(url) > 2048:
        raise InvalidInputError("meeting_url", "must be at most 2048 characters")
    named = _ZOOM_JOIN_PATH.search(parts.path)
    if named and named.group(1) != meeting_id:
        raise InvalidInputError(
            "meeting_url", f"names meeting {named.group(1)}, not meeting_id {meeting_id}"
        )
    return url


def normalize_wake_words(words: list[str] | None, default: list[str]) -> list[str]:
    """Trim, drop duplicates (case-insensitively) and bound the wake words."""
    if words is None:
        return list(default)
    if len(words) > MAX_WAKE_WORDS:
        raise InvalidInputError("wake_words", f"at most {MAX_WAKE_WORDS} wake words")
    cleaned: list[str] = []
    seen: set[str] = set()
    for index, word in enumerate(words):
        text = " ".join(word.split())
        if _CONTROL.search(text):
            raise InvalidInputError(f"wake_words[{index}]", "must not contain control characters")
        if not any(ch.isalnum() for ch in text):
            raise InvalidInputError(f"wake_words[{index}]", "must contain a letter or digit")
        if len(text) > MAX_WAKE_WORD_LENGTH:
            raise InvalidInputError(
                f"wake_words[{index}]", f"must be at most {MAX_WAKE_WORD_LENGTH} characters"
            )
        if text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    return cleaned


def normalize_agent_name(name: str | None, default: str) -> str:
    """The agent's display name, trimmed and bounded."""
    text = " ".join((name if name is not None else default).split())
    if not text:
        raise InvalidInputError("agent_name", "must not be empty")
    if _CONTROL.search(text):
        raise InvalidInputError("agent_name", "must not contain control characters")
    if len(text) > MAX_AGENT_NAME_LENGTH:
        raise InvalidInputError("agent_name", f"must be at most {MAX_AGENT_NAME_LENGTH} characters")
    return text
