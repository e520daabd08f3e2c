"""What the client returns: frozen dataclasses parsed from the API's JSON, timestamps as datetimes.

Each ``from_json`` checks types and raises :class:`DecodingError` naming the field, so a server
that answers something else fails loudly instead of handing out half-filled records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from meetmind.client._errors import DecodingError

__all__ = [
    "AuthorizeLink",
    "Disconnection",
    "Event",
    "Installation",
    "Page",
    "RtmsControlResult",
    "Session",
    "TranscriptTurn",
    "ZoomResult",
]

T = TypeVar("T")
Json = Mapping[str, Any]
"""A decoded JSON object."""


class _Reader:
    """Typed access to one JSON object; every mismatch is a :class:`DecodingError`."""

    def __init__(self, data: object, what: str) -> None:
        if not isinstance(data, Mapping):
            raise DecodingError(f"{what}: expected a JSON object, got {type(data).__name__}")
        self._data: Json = data
        self._what = what

    def _get(self, key: str, kinds: type | tuple[type, ...], optional: bool) -> Any:
        if key not in self._data:
            if optional:
                return None
            raise DecodingError(f"{self._what}.{key}: missing")
        value = self._data[key]
        if value is None and optional:
            return None
        # bool is an int subclass; an int field must not accept true/false.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            raise DecodingError(f"{self._what}.{key}: unexpected {type(value).__name__}")
        return value

    def text(self, key: str) -> str:
        value: str = self._get(key, str, False)
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, True)
        return value

    def integer(self, key: str) -> int:
        value: int = self._get(key, int, False)
        return value

    def boolean(self, key: str) -> bool:
        value: bool = self._get(key, bool, False)
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        values: list[Any] = self._get(key, list, False)
        if not all(isinstance(v, str) for v in values):
            raise DecodingError(f"{self._what}.{key}: expected a list of strings")
        return tuple(values)

    def obj(self, key: str) -> dict[str, Any]:
        value: dict[str, Any] = self._get(key, dict, False)
        return value

    def time(self, key: str) -> datetime:
        return _parse_datetime(self.text(key), f"{self._what}.{key}")

    def opt_time(self, key: str) -> datetime | None:
        raw = self.opt_text(key)
        return None if raw is None else _parse_datetime(raw, f"{self._what}.{key}")

    def array(self, key: str) -> list[Any]:
        value: list[Any] = self._get(key, list, False)
        return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _parse_datetime(raw: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise DecodingError(f"{where}: not an ISO 8601 timestamp: {raw!r}") from None


@dataclass(frozen=True, slots=True)
class Session:
    """One agent's presence in one meeting.

    ``status`` is one of ``created``, ``rtms_start_requested``, ``listening``, ``paused``,
    ``ended``, ``failed`` (kept as text so a newer server's statuses still parse).
    """

    id: str
    platform: str
    meeting_id: str
    meeting_url: str | None
    agent_name: str
    wake_words: tuple[str, ...]
    status: str
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
    def from_json(cls, data: object) -> Session:
        """From the API's session object."""
        r = _Reader(data, "session")
        return cls(
            id=r.text("id"),
            platform=r.text("platform"),
            meeting_id=r.text("meeting_id"),
            meeting_url=r.opt_text("meeting_url"),
            agent_name=r.text("agent_name"),
            wake_words=r.texts("wake_words"),
            status=r.text("status"),
            failure_reason=r.opt_text("failure_reason"),
            meeting_uuid=r.opt_text("meeting_uuid"),
            rtms_stream_id=r.opt_text("rtms_stream_id"),
            record_audio=r.boolean("record_audio"),
            audio_path=r.opt_text("audio_path"),
            rtms_start_requested_at=r.opt_time("rtms_start_requested_at"),
            rtms_start_requested_by=r.opt_text("rtms_start_requested_by"),
            created_at=r.time("created_at"),
            updated_at=r.time("updated_at"),
            ended_at=r.opt_time("ended_at"),
        )


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """A stored turn; ``start_ms``/``end_ms`` are milliseconds since the epoch."""

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
    def from_json(cls, data: object) -> TranscriptTurn:
        """From the API's transcript turn object."""
        r = _Reader(data, "turn")
        return cls(
            id=r.integer("id"),
            role=r.text("role"),
            speaker_id=r.opt_text("speaker_id"),
            speaker_name=r.opt_text("speaker_name"),
            text=r.text("text"),
            start_ms=r.integer("start_ms"),
            end_ms=r.integer("end_ms"),
            language=r.opt_text("language"),
            created_at=r.time("created_at"),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing.

    ``next_cursor`` is set when more may follow (pass it back); ``position`` marks the end of what
    was read, for polling a listing that grows (a transcript).
    """

    items: tuple[T, ...]
    next_cursor: str | None
    position: str | None

    @classmethod
    def from_json(cls, data: object, item: Callable[[object], T]) -> Page[T]:
        """From the API's ``{"data", "next_cursor", "position"}``, each item parsed by ``item``."""
        r = _Reader(data, "page")
        return cls(
            items=tuple(item(entry) for entry in r.array("data")),
            next_cursor=r.opt_text("next_cursor"),
            position=r.opt_text("position"),
        )


@dataclass(frozen=True, slots=True)
class ZoomResult:
    """What Zoom answered to an RTMS control request."""

    action: str
    status_code: int
    attempts: int
    tracking_id: str | None

    @classmethod
    def from_json(cls, data: object) -> ZoomResult:
        """From the API's ``zoom`` object."""
        r = _Reader(data, "zoom")
        return cls(
            action=r.text("action"),
            status_code=r.integer("status_code"),
            attempts=r.integer("attempts"),
            tracking_id=r.opt_text("tracking_id"),
        )


class RtmsControlResult(NamedTuple):
    """The session after an RTMS request and Zoom's answer; unpacks as ``session, zoom``."""

    session: Session
    zoom: ZoomResult

    @classmethod
    def from_json(cls, data: object) -> RtmsControlResult:
        """From the API's ``{"session", "zoom"}``."""
        r = _Reader(data, "rtms")
        return cls(Session.from_json(r.obj("session")), ZoomResult.from_json(r.obj("zoom")))


@dataclass(frozen=True, slots=True)
class AuthorizeLink:
    """Where to send a Zoom user to install the app (single use, expires)."""

    url: str
    expires_at: datetime

    @classmethod
    def from_json(cls, data: object) -> AuthorizeLink:
        """From the API's ``{"authorize_url", "expires_at"}``."""
        r = _Reader(data, "authorize")
        return cls(url=r.text("authorize_url"), expires_at=r.time("expires_at"))


@dataclass(frozen=True, slots=True)
class Installation:
    """The tenant's Zoom installation (tokens are never shown)."""

    token_stored: bool
    zoom_user_id: str | None
    zoom_account_id: str | None
    scopes: tuple[str, ...]
    status: str
    access_expires_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_json(cls, data: object) -> Installation:
        """From the API's installation object."""
        r = _Reader(data, "installation")
        return cls(
            token_stored=r.boolean("token_stored"),
            zoom_user_id=r.opt_text("zoom_user_id"),
            zoom_account_id=r.opt_text("zoom_account_id"),
            scopes=r.texts("scopes"),
            status=r.text("status"),
            access_expires_at=r.opt_time("access_expires_at"),
            updated_at=r.time("updated_at"),
        )


@dataclass(frozen=True, slots=True)
class Disconnection:
    """What disconnecting Zoom did: tokens deleted here, and whether Zoom confirmed the revoke."""

    deleted: bool
    revoked_at_zoom: bool

    @classmethod
    def from_json(cls, data: object) -> Disconnection:
        """From the API's ``{"deleted", "revoked_at_zoom"}``."""
        r = _Reader(data, "disconnect")
        return cls(deleted=r.boolean("deleted"), revoked_at_zoom=r.boolean("revoked_at_zoom"))


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a session's live feed; ``id`` grows by session and is the resume point."""

    id: int
    type: str
    session_id: str
    created_at: datetime
    payload: dict[str, Any]

    @classmethod
    def from_json(cls, data: object) -> Event:
        """From a message's ``data``: ``{"id", "type", "session_id", "created_at", "payload"}``."""
        r = _Reader(data, "event")
        return cls(
            id=r.integer("id"),
            type=r.text("type"),
            session_id=r.text("session_id"),
            created_at=r.time("created_at"),
            payload=r.obj("payload"),
        )
