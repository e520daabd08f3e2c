"""Errors of the RTMS protocol core (sans-I/O).

::

    MeetMindError (meetmind.domain.errors)
    └── ProtocolError (ValueError)        a frame breaks the RTMS protocol
        ├── MalformedFrameError            not UTF-8 / not JSON / not a JSON object
        ├── UnknownMessageTypeError        ``msg_type`` missing from RTMS_MESSAGE_TYPE
        └── InvalidFieldError              a field is missing or has the wrong type/value

Each error carries the RTMS ``status_code`` a server would answer with, so a server can turn a
decode failure straight into a handshake response.
"""

from __future__ import annotations

from meetmind.domain.errors import MeetMindError
from meetmind.zoom.rtms.enums import StatusCode

__all__ = [
    "InvalidFieldError",
    "MalformedFrameError",
    "ProtocolError",
    "UnknownMessageTypeError",
]


class ProtocolError(MeetMindError, ValueError):
    """A frame does not follow the RTMS protocol. The only error :func:`decode` raises."""

    code = "rtms_protocol_error"
    http_status = 502

    def __init__(
        self, message: str, *, status_code: StatusCode = StatusCode.INVALID_PAYLOAD
    ) -> None:
        super().__init__(message, details={"status_code": int(status_code)})
        self.status_code = status_code


class MalformedFrameError(ProtocolError):
    """The frame is not UTF-8 text holding one JSON object."""


class UnknownMessageTypeError(ProtocolError):
    """The frame's ``msg_type`` is not a known RTMS message type."""

    def __init__(self, msg_type: object) -> None:
        super().__init__(
            f"unknown msg_type {msg_type!r}", status_code=StatusCode.INVALID_MESSAGE_TYPE
        )
        self.msg_type = msg_type


class InvalidFieldError(ProtocolError):
    """A field is missing, has the wrong JSON type, or an impossible value."""

    def __init__(
        self, field: str, problem: str, *, status_code: StatusCode = StatusCode.INVALID_PAYLOAD
    ) -> None:
        super().__init__(f"field {field!r}: {problem}", status_code=status_code)
        self.field = field
        self.problem = problem
