"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from meetmind.domain.models import Session, TranscriptTurn
from meetmind.domain.sessions import SessionStatus

__all__ = [
    "ErrorBody",
    "ListResponse",
    "NulFreeStr",
    "SessionCreate",
    "SessionOut",
    "TranscriptTurnOut",
]

T = TypeVar("T")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NulFreeStr = Annotated[str, AfterValidator(_no_nul)]
"""Text that is stored: PostgreSQL refuses NUL characters in text, so they are a 422 here."""


class SessionCreate(BaseModel):
    """Create a session. Values are checked by the SDK, which names the field at fault."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field("zoom", examples=["zoom"], max_length=32)
    meeting_id: str = Field(examples=["81234567890"], max_length=64)
    meeting_url: str | None = Field(None, examples=["https://zoom.us/j/81234567890"])
    agent_name: str | None = Field(None, max_length=256)
    wake_words: list[str] | None = Field(None, examples=[["Hey MeetMind"]])
    record_audio: bool = Field(False, description="Write the meeting's audio to a WAV file.")


class SessionOut(BaseModel):
    """A session as the API shows it."""

    id: str
    platform: str
    meeting_id: str
    meeting_url: str | None
    agent_name: str
    wake_words: list[str]
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

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        """From the SDK's record."""
        return cls(
            id=session.id,
            platform=session.platform.value,
            meeting_id=session.meeting_id,
            meeting_url=session.meeting_url,
            agent_name=session.agent_name,
            wake_words=list(session.wake_words),
            status=session.status,
            failure_reason=session.failure_reason,
            meeting_uuid=session.meeting_uuid,
            rtms_stream_id=session.rtms_stream_id,
            record_audio=session.record_audio,
            audio_path=session.audio_path,
            rtms_start_requested_at=session.rtms_start_requested_at,
            rtms_start_requested_by=session.rtms_start_requested_by,
            created_at=session.created_at,
            updated_at=session.updated_at,
            ended_at=session.ended_at,
        )


class TranscriptTurnOut(BaseModel):
    """A transcript turn as the API shows it (times in ms since the epoch)."""

    id: int
    role: str
    speaker_id: str | None
    speaker_name: str | None
    text: str
    start_ms: int
    end_ms: int
    language: str | None
    created_at: datetime

    @classmethod
    def of(cls, turn: TranscriptTurn) -> TranscriptTurnOut:
        """From the SDK's record."""
        return cls(
            id=turn.id,
            role=turn.role.value,
            speaker_id=turn.speaker_id,
            speaker_name=turn.speaker_name,
            text=turn.text,
            start_ms=turn.start_ms,
            end_ms=turn.end_ms,
            language=turn.language,
            created_at=turn.created_at,
        )


class ListResponse(BaseModel, Generic[T]):
    """A page: ``next_cursor`` is set when more may follow; ``position`` marks where it ended."""

    data: list[T]
    next_cursor: str | None
    position: str | None


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    details: dict[str, object]


class ErrorBody(BaseModel):
    """Every error response."""

    error: ErrorDetail
