"""One exception tree for MeetMind.

Every error the SDK raises derives from :class:`MeetMindError`; each class carries a stable
``code`` (machine-readable, used in API error bodies) and the ``http_status`` the API answers with.
The HTTP layer maps the root class once, so every subclass is covered::

    MeetMindError                      500 internal_error
    ├── ConfigurationError             500 configuration_error
    ├── SchemaOutOfDateError           503 schema_out_of_date
    ├── AuthenticationError            401 unauthorized
    ├── NotFoundError (LookupError)    404 not_found
    ├── ConflictError                  409 conflict
    │   └── IllegalTransitionError     409 illegal_transition
    ├── InvalidInputError (ValueError) 422 invalid_input
    ├── OAuthStateError                400 invalid_oauth_state
    └── ZoomError                      502 zoom_error
        ├── ZoomNotConnectedError            409 zoom_not_connected
        ├── ZoomReauthorizationRequiredError 409 zoom_reauthorization_required
        ├── ZoomUnavailableError             502 zoom_unavailable (504 when it timed out)
        ├── ZoomRateLimitedError             429 zoom_rate_limited
        ├── ZoomRequestRejectedError         422 zoom_request_rejected
        ├── ZoomMeetingNotLiveError          409 zoom_meeting_not_live    (Zoom code 3001)
        ├── RtmsNotAllowedError              403 rtms_not_allowed         (Zoom code 2308)
        └── RtmsUnavailableError             424 rtms_unavailable         (Zoom code 2310)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "IllegalTransitionError",
    "InvalidInputError",
    "MeetMindError",
    "NotFoundError",
    "OAuthStateError",
    "RtmsNotAllowedError",
    "RtmsUnavailableError",
    "SchemaOutOfDateError",
    "ZoomError",
    "ZoomMeetingNotLiveError",
    "ZoomNotConnectedError",
    "ZoomRateLimitedError",
    "ZoomReauthorizationRequiredError",
    "ZoomRequestRejectedError",
    "ZoomUnavailableError",
]


class MeetMindError(Exception):
    """Root of every error MeetMind raises on purpose."""

    code: str = "internal_error"
    http_status: int = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ConfigurationError(MeetMindError):
    """A setting is missing or invalid; raised at start-up."""

    code = "configuration_error"


class SchemaOutOfDateError(MeetMindError):
    """The database schema is older than this version of MeetMind."""

    code = "schema_out_of_date"
    http_status = 503


class AuthenticationError(MeetMindError):
    """The API key is missing, malformed, unknown or revoked."""

    code = "unauthorized"
    http_status = 401


class NotFoundError(MeetMindError, LookupError):
    """The resource does not exist *for this tenant* (another tenant's looks the same)."""

    code = "not_found"
    http_status = 404


class ConflictError(MeetMindError):
    """The request clashes with the current state of a resource."""

    code = "conflict"
    http_status = 409


class IllegalTransitionError(ConflictError):
    """A session cannot move from its current status to the requested one."""

    code = "illegal_transition"


class InvalidInputError(MeetMindError, ValueError):
    """A value is malformed or out of range; ``field`` names it."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, field: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{field}: {message}", details={"field": field, **(details or {})})
        self.field = field


class OAuthStateError(MeetMindError):
    """An OAuth callback's ``state`` is missing, unknown, expired or already used."""

    code = "invalid_oauth_state"
    http_status = 400


class ZoomError(MeetMindError):
    """Zoom refused or failed a request. ``zoom_code``/``zoom_status`` say what Zoom answered."""

    code = "zoom_error"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        zoom_status: int | None = None,
        zoom_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        extra = {k: v for k, v in (("zoom_status", zoom_status), ("zoom_code", zoom_code)) if v}
        super().__init__(message, details={**extra, **(details or {})})
        self.zoom_status = zoom_status
        self.zoom_code = zoom_code


class ZoomNotConnectedError(ZoomError):
    """The tenant has not connected a Zoom account yet."""

    code = "zoom_not_connected"
    http_status = 409


class ZoomReauthorizationRequiredError(ZoomError):
    """Zoom no longer accepts the stored grant; the tenant must install the app again."""

    code = "zoom_reauthorization_required"
    http_status = 409


class ZoomUnavailableError(ZoomError):
    """Zoom could not be reached, timed out, or kept failing (5xx)."""

    code = "zoom_unavailable"
    http_status = 502


class ZoomRateLimitedError(ZoomError):
    """Zoom kept answering 429 after the allowed retries."""

    code = "zoom_rate_limited"
    http_status = 429


class ZoomRequestRejectedError(ZoomError):
    """Zoom rejected the request as invalid (e.g. code 300)."""

    code = "zoom_request_rejected"
    http_status = 422


class ZoomMeetingNotLiveError(ZoomError):
    """Zoom says the meeting does not exist or is not live (code 3001)."""

    code = "zoom_meeting_not_live"
    http_status = 409


class RtmsNotAllowedError(ZoomError):
    """The Zoom user may not control RTMS in this meeting (code 2308)."""

    code = "rtms_not_allowed"
    http_status = 403


class RtmsUnavailableError(ZoomError):
    """The Zoom account cannot run RTMS now (code 2310: no Developer Pack, credits, plan)."""

    code = "rtms_unavailable"
    http_status = 424
