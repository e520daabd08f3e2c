"""The client's one exception tree, and the two places foreign failures are translated.

Names run parallel to :mod:`meetmind.domain.errors`, but nothing is shared: the client needs no
server code. An API error is classified by its HTTP status; ``code`` keeps the API's exact code::

    MeetMindClientError
    ├── ClientClosedError (RuntimeError)      the client was closed
    ├── DecodingError                         the answer is not what the API sends
    ├── TransportError                        no answer: network failure (wraps the httpx error)
    │   └── RequestTimeoutError (TimeoutError)
    └── ApiError                              the API answered with an error (status, code, ...)
        ├── AuthenticationError               401 unauthorized
        ├── NotFoundError (LookupError)       404 not_found
        ├── ConflictError                     409 conflict, illegal_transition,
        │                                         zoom_not_connected, zoom_reauthorization_required,
        │                                         zoom_meeting_not_live
        ├── InvalidInputError (ValueError)    422 invalid_input (``field`` names the value)
        └── ZoomError                         Zoom failed or refused: 403 rtms_not_allowed,
                                              424 rtms_unavailable, 429 zoom_rate_limited,
                                              422 zoom_request_rejected, 502 zoom_unavailable,
                                              503/504 zoom_*
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ClientClosedError",
    "ConflictError",
    "DecodingError",
    "InvalidInputError",
    "MeetMindClientError",
    "NotFoundError",
    "RequestTimeoutError",
    "TransportError",
    "ZoomError",
]


class MeetMindClientError(Exception):
    """Root of every error the client raises."""


class ClientClosedError(MeetMindClientError, RuntimeError):
    """The client was closed; make a new one."""


class DecodingError(MeetMindClientError):
    """The server's answer could not be read as the API's (wrong content type, bad JSON, fields)."""


class TransportError(MeetMindClientError):
    """No answer: connection refused or dropped, DNS, TLS. ``__cause__`` is httpx's error."""


class RequestTimeoutError(TransportError, TimeoutError):
    """Connecting, sending or waiting for the answer took longer than the client's timeout."""


class ApiError(MeetMindClientError):
    """The API answered with an error body ``{"error": {"code", "message", "details"}}``.

    Attributes:
        status: The HTTP status.
        code: The API's machine-readable code (``not_found``, ``illegal_transition``, ...).
        message: The API's human-readable message.
        details: Extra facts (``field``, ``zoom_code``, ``from``/``action``, ...).
    """

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}


class AuthenticationError(ApiError):
    """401: the API key is missing, malformed, unknown or revoked."""


class NotFoundError(ApiError, LookupError):
    """404: no such resource for this tenant (another tenant's looks the same)."""


class ConflictError(ApiError):
    """409: the request clashes with the resource's state; ``code`` says how.

    ``illegal_transition`` (``details`` has ``from`` and ``action``), ``zoom_not_connected``,
    ``zoom_reauthorization_required`` or ``zoom_meeting_not_live``.
    """


class InvalidInputError(ApiError, ValueError):
    """422: a value is malformed or out of range; ``field`` names it (``"body"`` if unknown)."""

    @property
    def field(self) -> str:
        """The field at fault, as the API named it."""
        return str(self.details.get("field", "body"))


class ZoomError(ApiError):
    """Zoom failed or refused the request MeetMind made on the caller's behalf.

    ``zoom_status`` and ``zoom_code`` are what Zoom answered, when it answered.
    """

    @property
    def zoom_status(self) -> int | None:
        """Zoom's HTTP status, if Zoom answered."""
        value = self.details.get("zoom_status")
        return value if isinstance(value, int) else None

    @property
    def zoom_code(self) -> int | None:
        """Zoom's error code (e.g. 3001 meeting not live, 2308 not allowed), if any."""
        value = self.details.get("zoom_code")
        return value if isinstance(value, int) else None


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidInputError,
}
_ZOOM_PREFIXES = ("zoom_", "rtms_")


def error_class(status: int, code: str) -> type[ApiError]:
    """The class for an error answer: by status, except Zoom's own failures (``zoom_*``/``rtms_*``).

    A 409 stays a :class:`ConflictError` even when its code is a Zoom one, so one ``except``
    covers every state clash; other Zoom codes become :class:`ZoomError`.
    """
    if status in (401, 404, 409):
        return _BY_STATUS[status]
    if code.startswith(_ZOOM_PREFIXES):
        return ZoomError
    return _BY_STATUS.get(status, ApiError)


def api_error(status: int, body: bytes, reason: str = "") -> ApiError:
    """Build the typed error for an error answer (any body: JSON from the API or a proxy's HTML)."""
    code, message, details = f"http_{status}", reason or "error", {}
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
        raw_details = error.get("details")
        details = raw_details if isinstance(raw_details, dict) else {}
    elif body:
        message = body[:200].decode("utf-8", "replace").strip() or message
    return error_class(status, code)(status, code, message, details)


@contextmanager
def map_transport_errors() -> Iterator[None]:
    """Translate httpx's request errors, once, into :class:`TransportError` (``from`` them)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise RequestTimeoutError(f"timed out: {exc or type(exc).__name__}") from exc
    except httpx.RequestError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from exc
