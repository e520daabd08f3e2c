"""MeetMind: put an agent into live Zoom meetings through Realtime Media Streams."""

from meetmind.config import Settings
from meetmind.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    IllegalTransitionError,
    InvalidInputError,
    MeetMindError,
    NotFoundError,
    SchemaOutOfDateError,
)
from meetmind.domain.models import (
    ApiKey,
    NewTranscriptTurn,
    Page,
    Session,
    Tenant,
    TranscriptTurn,
    TurnRole,
)
from meetmind.domain.sessions import Platform, SessionStatus
from meetmind.sdk import MeetMind, TenantScope

__version__ = "0.1.0"

__all__ = [
    "ApiKey",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "IllegalTransitionError",
    "InvalidInputError",
    "MeetMind",
    "MeetMindError",
    "NewTranscriptTurn",
    "NotFoundError",
    "Page",
    "Platform",
    "SchemaOutOfDateError",
    "Session",
    "SessionStatus",
    "Settings",
    "Tenant",
    "TenantScope",
    "TranscriptTurn",
    "TurnRole",
    "__version__",
]
