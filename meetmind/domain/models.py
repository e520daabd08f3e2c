"""The records the SDK hands out: plain frozen dataclasses, no ORM objects leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from meetmind.domain.sessions import Platform, SessionStatus

__all__ = [
    "ApiKey",
    "FeedEvent",
    "NewTranscriptTurn",
    "Page",
    "Session",
    "Tenant",
    "TranscriptTurn",
    "TurnRole",
    "WebhookDelivery",
    "WebhookEndpoint",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tenant:
    """An application (customer) using MeetMind; everything belongs to exactly one."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A freshly created API key. ``secret`` is shown once and never stored."""

    id: str
    tenant_id: str
    secret: str = field(repr=False)
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """One agent's presence in one meeting."""

    id: str
    tenant_id: str
    platform: Platform
    meeting_id: str
    meeting_url: str | None
    agent_name: str
    wake_words: tuple[str, ...]
    status: SessionStatus
    failure_reason: str | None
    meeting_uuid: str | None
    rtms_stream_id: str | None
    record_audio: bool
    audio_path: str | None
    rtms_start_requested_at: datetime | None
    rtms_start_requested_by: str | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None


class TurnRole(StrEnum):
    """Who spoke a turn."""

    PARTICIPANT = "participant"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class NewTranscriptTurn:
    """A turn to append. ``idempotency_key`` makes appending it twice a no-op."""

    idempotency_key: str
    text: str
    start_ms: int
    end_ms: int
    speaker_id: str | None = None
    speaker_name: str | None = None
    language: str | None = None
    role: TurnRole = TurnRole.PARTICIPANT
    stream_offset_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """A stored turn."""

    id: int
    session_id: str
    idempotency_key: str
    role: TurnRole
    speaker_id: str | None
    speaker_name: str | None
    text: str
    start_ms: int
    end_ms: int
    language: str | None
    stream_offset_ms: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """Where a tenant wants events delivered. The secret is only shown at creation."""

    id: str
    url: str
    event_types: tuple[str, ...]
    created_at: datetime
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One delivery of one event to one endpoint (the delivery log)."""

    id: int
    endpoint_id: str
    session_id: str
    event_id: int
    event_type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of a session's live feed. ``id`` increases by session and never repeats."""

    id: int
    type: str
    session_id: str
    created_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing.

    ``next_cursor`` is set when the page is full and more may follow; pass it back for the next
    page. ``position`` always marks the end of what was read (for polling a growing listing).
    """

    items: list[T]
    next_cursor: str | None
    position: str | None = None
