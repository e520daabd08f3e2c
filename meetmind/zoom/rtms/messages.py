"""Typed RTMS messages: one frozen dataclass per message type, with wire (de)serialisation.

Each class has a ``msg_type`` and two methods used by :mod:`meetmind.zoom.rtms.protocol`:
``from_wire(reader)`` (validates, ignores unknown fields) and ``to_wire()`` (the JSON object).
Media classes (14-18) are flat: the wire's ``content`` object is unpacked into fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

from meetmind.zoom.rtms._wire import Reader, UserId, as_object, b64encode, drop_none
from meetmind.zoom.rtms.enums import MessageType, StatusCode
from meetmind.zoom.rtms.params import MediaParams

__all__ = [
    "ClientReadyAck",
    "DataHandshakeRequest",
    "DataHandshakeResponse",
    "EventSubscription",
    "EventUpdate",
    "KeepAliveRequest",
    "KeepAliveResponse",
    "MediaDataAudio",
    "MediaDataChat",
    "MediaDataShare",
    "MediaDataTranscript",
    "MediaDataVideo",
    "Message",
    "MetaData",
    "Participant",
    "RtmsEvent",
    "SessionStateRequest",
    "SessionStateResponse",
    "SessionStateUpdate",
    "SignalingHandshakeRequest",
    "SignalingHandshakeResponse",
    "StreamCloseRequest",
    "StreamCloseResponse",
    "StreamStateRequest",
    "StreamStateResponse",
    "StreamStateUpdate",
    "Subscription",
    "UserId",
    "VideoSubscriptionRequest",
    "VideoSubscriptionResponse",
]

T = MessageType


def _with_type(msg_type: MessageType, body: dict[str, Any]) -> dict[str, Any]:
    return {"msg_type": int(msg_type), **body}


def _meeting_uuid(r: Reader) -> str:
    # The wire key is meeting_uuid; Video SDK / ZCC peers may send their own id key instead.
    for key in ("meeting_uuid", "session_id", "engagement_id", "webinar_uuid"):
        if r.raw(key) is not None:
            return r.str_(key)
    return r.str_("meeting_uuid")


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _reason(r: Reader) -> int | None:
    """Zoom spells the stop reason ``reason`` or ``stop_reason``; accept both."""
    value = r.opt_int("reason")
    return r.opt_int("stop_reason") if value is None else value


# --------------------------------------------------------------------------- handshakes


@dataclass(frozen=True, slots=True)
class SignalingHandshakeRequest:
    """SIGNALING_HAND_SHAKE_REQ (1), app -> signaling server."""

    msg_type: ClassVar[MessageType] = T.SIGNALING_HAND_SHAKE_REQ
    meeting_uuid: str
    rtms_stream_id: str
    signature: str
    protocol_version: int = 1
    sequence: int = 0
    buffer_data: bool | None = None
    rtms_client_agent: str | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> SignalingHandshakeRequest:
        """Read and validate."""
        return cls(
            meeting_uuid=_meeting_uuid(r),
            rtms_stream_id=r.str_("rtms_stream_id"),
            signature=r.str_("signature"),
            protocol_version=_or(r.opt_int("protocol_version"), 1),
            sequence=_or(r.opt_int("sequence"), 0),
            buffer_data=r.opt_bool("buffer_data"),
            rtms_client_agent=r.opt_str("rtms_client_agent"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "protocol_version": self.protocol_version,
                    "sequence": self.sequence,
                    "meeting_uuid": self.meeting_uuid,
                    "rtms_stream_id": self.rtms_stream_id,
                    "signature": self.signature,
                    "buffer_data": self.buffer_data,
                    "rtms_client_agent": self.rtms_client_agent,
                }
            ),
        )


@dataclass(frozen=True, slots=True)
class SignalingHandshakeResponse:
    """SIGNALING_HAND_SHAKE_RESP (2): status and the media server URLs per media type."""

    msg_type: ClassVar[MessageType] = T.SIGNALING_HAND_SHAKE_RESP
    status_code: int
    reason: str = ""
    media_server_urls: dict[str, str] | None = None
    protocol_version: int = 1
    sequence: int = 0

    @classmethod
    def from_wire(cls, r: Reader) -> SignalingHandshakeResponse:
        """Read and validate."""
        urls: dict[str, str] | None = None
        media_server = r.opt_obj("media_server")
        if media_server is not None:
            ms = r.child(media_server, "media_server")
            raw_urls = ms.opt_obj("server_urls")
            if raw_urls is not None:
                ur = ms.child(raw_urls, "server_urls")
                urls = {str(key): ur.str_(str(key)) for key in raw_urls}
        return cls(
            status_code=r.int_("status_code"),
            reason=r.opt_str("reason") or "",
            media_server_urls=urls,
            protocol_version=_or(r.opt_int("protocol_version"), 1),
            sequence=_or(r.opt_int("sequence"), 0),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        body: dict[str, Any] = {
            "protocol_version": self.protocol_version,
            "sequence": self.sequence,
            "status_code": self.status_code,
            "reason": self.reason,
        }
        if self.media_server_urls is not None:
            body["media_server"] = {"server_urls": dict(self.media_server_urls)}
        return _with_type(self.msg_type, body)


@dataclass(frozen=True, slots=True)
class DataHandshakeRequest:
    """DATA_HAND_SHAKE_REQ (3), app -> media server."""

    msg_type: ClassVar[MessageType] = T.DATA_HAND_SHAKE_REQ
    meeting_uuid: str
    rtms_stream_id: str
    signature: str
    media_type: int
    media_params: MediaParams | None = None
    payload_encryption: bool | None = None
    protocol_version: int = 1
    sequence: int = 0
    rtms_client_agent: str | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> DataHandshakeRequest:
        """Read and validate (bad media params carry their documented status code)."""
        params = r.opt_obj("media_params", StatusCode.INVALID_MEDIA_PARAMS)
        return cls(
            meeting_uuid=_meeting_uuid(r),
            rtms_stream_id=r.str_("rtms_stream_id"),
            signature=r.str_("signature"),
            media_type=r.int_("media_type", StatusCode.INVALID_MEDIA_TYPE),
            media_params=None if params is None else MediaParams.from_wire(params),
            payload_encryption=r.opt_bool("payload_encryption"),
            protocol_version=_or(r.opt_int("protocol_version"), 1),
            sequence=_or(r.opt_int("sequence"), 0),
            rtms_client_agent=r.opt_str("rtms_client_agent"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "protocol_version": self.protocol_version,
                    "sequence": self.sequence,
                    "meeting_uuid": self.meeting_uuid,
                    "rtms_stream_id": self.rtms_stream_id,
                    "signature": self.signature,
                    "media_type": self.media_type,
                    "payload_encryption": self.payload_encryption,
                    "media_params": None
                    if self.media_params is None
                    else self.media_params.to_wire(),
                    "rtms_client_agent": self.rtms_client_agent,
                }
            ),
        )


@dataclass(frozen=True, slots=True)
class DataHandshakeResponse:
    """DATA_HAND_SHAKE_RESP (4). ``payload_encrypted`` and ``media_params`` are always sent.

    Zoom's official client fails the join when either key is missing (``null`` is accepted).
    """

    msg_type: ClassVar[MessageType] = T.DATA_HAND_SHAKE_RESP
    status_code: int
    reason: str = ""
    media_params: MediaParams | None = None
    payload_encrypted: bool = False
    protocol_version: int = 1
    sequence: int = 0

    @classmethod
    def from_wire(cls, r: Reader) -> DataHandshakeResponse:
        """Read and validate (``payload_encryption`` is accepted as a spelling)."""
        params = r.opt_obj("media_params", StatusCode.INVALID_MEDIA_PARAMS)
        encrypted = r.opt_bool("payload_encrypted")
        if encrypted is None:
            encrypted = r.opt_bool("payload_encryption")
        return cls(
            status_code=r.int_("status_code"),
            reason=r.opt_str("reason") or "",
            media_params=None if params is None else MediaParams.from_wire(params),
            payload_encrypted=bool(encrypted),
            protocol_version=_or(r.opt_int("protocol_version"), 1),
            sequence=_or(r.opt_int("sequence"), 0),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "protocol_version": self.protocol_version,
                "sequence": self.sequence,
                "status_code": self.status_code,
                "reason": self.reason,
                "payload_encrypted": self.payload_encrypted,
                "media_params": None if self.media_params is None else self.media_params.to_wire(),
            },
        )


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Subscription:
    """One entry of EVENT_SUBSCRIPTION's ``events`` list."""

    event_type: int
    subscribe: bool = True


@dataclass(frozen=True, slots=True)
class EventSubscription:
    """EVENT_SUBSCRIPTION (5), app -> signaling; no response."""

    msg_type: ClassVar[MessageType] = T.EVENT_SUBSCRIPTION
    events: tuple[Subscription, ...]

    @classmethod
    def from_wire(cls, r: Reader) -> EventSubscription:
        """Read and validate."""
        items = []
        for i, raw in enumerate(r.list_("events")):
            er = r.child(as_object(raw, f"events[{i}]", StatusCode.INVALID_EVENTS), f"events[{i}]")
            subscribe = er.opt_bool("subscribe")
            items.append(
                Subscription(
                    er.int_("event_type", StatusCode.INVALID_EVENT_TYPE),
                    True if subscribe is None else subscribe,
                )
            )
        return cls(tuple(items))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "events": [
                    {"event_type": e.event_type, "subscribe": e.subscribe} for e in self.events
                ]
            },
        )


@dataclass(frozen=True, slots=True)
class Participant:
    """A participant in join/leave/video events (leave events carry no name)."""

    user_id: UserId
    user_name: str | None = None


@dataclass(frozen=True, slots=True)
class RtmsEvent:
    """The ``event`` object of EVENT_UPDATE; which fields are set depends on ``event_type``."""

    event_type: int
    timestamp: int | None = None
    user_id: UserId | None = None
    user_name: str | None = None
    participants: tuple[Participant, ...] | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> RtmsEvent:
        """Read and validate."""
        participants: tuple[Participant, ...] | None = None
        raw = r.opt_list("participants")
        if raw is not None:
            parts = []
            for i, item in enumerate(raw):
                pr = r.child(as_object(item, f"participants[{i}]"), f"participants[{i}]")
                parts.append(Participant(pr.user_id("user_id"), pr.opt_str("user_name")))
            participants = tuple(parts)
        return cls(
            event_type=r.int_("event_type", StatusCode.INVALID_EVENT_TYPE),
            timestamp=r.opt_int("timestamp"),
            user_id=r.opt_user_id("user_id"),
            user_name=r.opt_str("user_name"),
            participants=participants,
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return drop_none(
            {
                "event_type": self.event_type,
                "timestamp": self.timestamp,
                "user_id": self.user_id,
                "user_name": self.user_name,
                "participants": None
                if self.participants is None
                else [
                    drop_none({"user_id": p.user_id, "user_name": p.user_name})
                    for p in self.participants
                ],
            }
        )


@dataclass(frozen=True, slots=True)
class EventUpdate:
    """EVENT_UPDATE (6), signaling -> app."""

    msg_type: ClassVar[MessageType] = T.EVENT_UPDATE
    event: RtmsEvent

    @classmethod
    def from_wire(cls, r: Reader) -> EventUpdate:
        """Read and validate."""
        return cls(RtmsEvent.from_wire(r.child(r.obj_("event"), "event")))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(self.msg_type, {"event": self.event.to_wire()})


@dataclass(frozen=True, slots=True)
class ClientReadyAck:
    """CLIENT_READY_ACK (7), app -> signaling, after every data handshake succeeded."""

    msg_type: ClassVar[MessageType] = T.CLIENT_READY_ACK
    rtms_stream_id: str

    @classmethod
    def from_wire(cls, r: Reader) -> ClientReadyAck:
        """Read and validate."""
        return cls(r.str_("rtms_stream_id"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(self.msg_type, {"rtms_stream_id": self.rtms_stream_id})


# --------------------------------------------------------------------------- states


@dataclass(frozen=True, slots=True)
class StreamStateUpdate:
    """STREAM_STATE_UPDATE (8). ``reason`` is read from ``reason`` or ``stop_reason``."""

    msg_type: ClassVar[MessageType] = T.STREAM_STATE_UPDATE
    state: int
    reason: int | None = None
    timestamp: int | None = None
    rtms_stream_id: str | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> StreamStateUpdate:
        """Read and validate."""
        return cls(r.int_("state"), _reason(r), r.opt_int("timestamp"), r.opt_str("rtms_stream_id"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "state": self.state,
                    "reason": self.reason,
                    "timestamp": self.timestamp,
                    "rtms_stream_id": self.rtms_stream_id,
                }
            ),
        )


@dataclass(frozen=True, slots=True)
class SessionStateUpdate:
    """SESSION_STATE_UPDATE (9). The reason is sent as both ``stop_reason`` and ``reason``."""

    msg_type: ClassVar[MessageType] = T.SESSION_STATE_UPDATE
    state: int
    rtms_session_id: str | None = None
    reason: int | None = None
    timestamp: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> SessionStateUpdate:
        """Read and validate."""
        return cls(
            r.int_("state"), r.opt_str("rtms_session_id"), _reason(r), r.opt_int("timestamp")
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "rtms_session_id": self.rtms_session_id,
                    "state": self.state,
                    "stop_reason": self.reason,
                    "reason": self.reason,
                    "timestamp": self.timestamp,
                }
            ),
        )


@dataclass(frozen=True, slots=True)
class SessionStateRequest:
    """SESSION_STATE_REQ (10), app -> signaling."""

    msg_type: ClassVar[MessageType] = T.SESSION_STATE_REQ
    rtms_session_id: str

    @classmethod
    def from_wire(cls, r: Reader) -> SessionStateRequest:
        """Read and validate."""
        return cls(r.str_("rtms_session_id"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(self.msg_type, {"rtms_session_id": self.rtms_session_id})


@dataclass(frozen=True, slots=True)
class SessionStateResponse:
    """SESSION_STATE_RESP (11); ``status_code`` 40 for an unknown session id."""

    msg_type: ClassVar[MessageType] = T.SESSION_STATE_RESP
    rtms_session_id: str
    state: int
    timestamp: int | None = None
    status_code: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> SessionStateResponse:
        """Read and validate."""
        return cls(
            r.str_("rtms_session_id"),
            r.int_("state"),
            r.opt_int("timestamp"),
            r.opt_int("status_code"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "rtms_session_id": self.rtms_session_id,
                    "state": self.state,
                    "timestamp": self.timestamp,
                    "status_code": self.status_code,
                }
            ),
        )


@dataclass(frozen=True, slots=True)
class StreamStateRequest:
    """STREAM_STATE_REQ (19), app -> signaling."""

    msg_type: ClassVar[MessageType] = T.STREAM_STATE_REQ
    rtms_stream_id: str

    @classmethod
    def from_wire(cls, r: Reader) -> StreamStateRequest:
        """Read and validate."""
        return cls(r.str_("rtms_stream_id"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(self.msg_type, {"rtms_stream_id": self.rtms_stream_id})


@dataclass(frozen=True, slots=True)
class StreamStateResponse:
    """STREAM_STATE_RESP (20)."""

    msg_type: ClassVar[MessageType] = T.STREAM_STATE_RESP
    rtms_stream_id: str
    state: int
    timestamp: int | None = None
    status_code: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> StreamStateResponse:
        """Read and validate."""
        return cls(
            r.str_("rtms_stream_id"),
            r.int_("state"),
            r.opt_int("timestamp"),
            r.opt_int("status_code"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "rtms_stream_id": self.rtms_stream_id,
                    "state": self.state,
                    "timestamp": self.timestamp,
                    "status_code": self.status_code,
                }
            ),
        )


@dataclass(frozen=True, slots=True)
class StreamCloseRequest:
    """STREAM_CLOSE_REQ (21), app -> signaling."""

    msg_type: ClassVar[MessageType] = T.STREAM_CLOSE_REQ
    rtms_stream_id: str

    @classmethod
    def from_wire(cls, r: Reader) -> StreamCloseRequest:
        """Read and validate."""
        return cls(r.str_("rtms_stream_id"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(self.msg_type, {"rtms_stream_id": self.rtms_stream_id})


@dataclass(frozen=True, slots=True)
class StreamCloseResponse:
    """STREAM_CLOSE_RESP (22)."""

    msg_type: ClassVar[MessageType] = T.STREAM_CLOSE_RESP
    rtms_stream_id: str
    status_code: int = 0
    reason: str = ""
    timestamp: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> StreamCloseResponse:
        """Read and validate."""
        return cls(
            r.str_("rtms_stream_id"),
            r.opt_int("status_code") or 0,
            r.opt_str("reason") or "",
            r.opt_int("timestamp"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "rtms_stream_id": self.rtms_stream_id,
                    "status_code": self.status_code,
                    "reason": self.reason,
                    "timestamp": self.timestamp,
                }
            ),
        )


# --------------------------------------------------------------------------- keep-alive


@dataclass(frozen=True, slots=True)
class KeepAliveRequest:
    """KEEP_ALIVE_REQ (12), server -> app on every socket; answer with the same values."""

    msg_type: ClassVar[MessageType] = T.KEEP_ALIVE_REQ
    timestamp: int
    sequence: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> KeepAliveRequest:
        """Read and validate."""
        return cls(r.int_("timestamp"), r.opt_int("sequence"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type, drop_none({"timestamp": self.timestamp, "sequence": self.sequence})
        )

    def answer(self) -> KeepAliveResponse:
        """The matching KEEP_ALIVE_RESP (echoes ``timestamp`` and ``sequence``)."""
        return KeepAliveResponse(self.timestamp, self.sequence)


@dataclass(frozen=True, slots=True)
class KeepAliveResponse:
    """KEEP_ALIVE_RESP (13), app -> server."""

    msg_type: ClassVar[MessageType] = T.KEEP_ALIVE_RESP
    timestamp: int
    sequence: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> KeepAliveResponse:
        """Read and validate."""
        return cls(r.int_("timestamp"), r.opt_int("sequence"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type, drop_none({"timestamp": self.timestamp, "sequence": self.sequence})
        )


# --------------------------------------------------------------------------- media data


def _content(r: Reader) -> Reader:
    return r.child(r.obj_("content"), "content")


@dataclass(frozen=True, slots=True)
class MediaDataAudio:
    """MEDIA_DATA_AUDIO (14). ``data`` holds decoded bytes (base64 on the wire)."""

    msg_type: ClassVar[MessageType] = T.MEDIA_DATA_AUDIO
    data: bytes
    timestamp: int
    user_id: UserId | None = None
    user_name: str | None = None
    length: int | None = None
    channel_id: UserId | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> MediaDataAudio:
        """Read and validate."""
        c = _content(r)
        return cls(
            c.b64("data"),
            c.int_("timestamp"),
            c.opt_user_id("user_id"),
            c.opt_str("user_name"),
            c.opt_int("length"),
            c.opt_user_id("channel_id"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "content": drop_none(
                    {
                        "user_id": self.user_id,
                        "user_name": self.user_name,
                        "data": b64encode(self.data),
                        "length": self.length,
                        "timestamp": self.timestamp,
                        "channel_id": self.channel_id,
                    }
                )
            },
        )


@dataclass(frozen=True, slots=True)
class MediaDataVideo:
    """MEDIA_DATA_VIDEO (15): a JPG/PNG frame or H.264 chunk, decoded from base64."""

    msg_type: ClassVar[MessageType] = T.MEDIA_DATA_VIDEO
    data: bytes
    timestamp: int
    user_id: UserId | None = None
    user_name: str | None = None
    length: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> MediaDataVideo:
        """Read and validate."""
        c = _content(r)
        return cls(
            c.b64("data"),
            c.int_("timestamp"),
            c.opt_user_id("user_id"),
            c.opt_str("user_name"),
            c.opt_int("length"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "content": drop_none(
                    {
                        "user_id": self.user_id,
                        "user_name": self.user_name,
                        "data": b64encode(self.data),
                        "length": self.length,
                        "timestamp": self.timestamp,
                    }
                )
            },
        )


@dataclass(frozen=True, slots=True)
class MediaDataShare:
    """MEDIA_DATA_SHARE (16): screen-share frame, same shape as video."""

    msg_type: ClassVar[MessageType] = T.MEDIA_DATA_SHARE
    data: bytes
    timestamp: int
    user_id: UserId | None = None
    user_name: str | None = None
    length: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> MediaDataShare:
        """Read and validate."""
        c = _content(r)
        return cls(
            c.b64("data"),
            c.int_("timestamp"),
            c.opt_user_id("user_id"),
            c.opt_str("user_name"),
            c.opt_int("length"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "content": drop_none(
                    {
                        "user_id": self.user_id,
                        "user_name": self.user_name,
                        "data": b64encode(self.data),
                        "length": self.length,
                        "timestamp": self.timestamp,
                    }
                )
            },
        )


@dataclass(frozen=True, slots=True)
class MediaDataTranscript:
    """MEDIA_DATA_TRANSCRIPT (17): one utterance of one speaker, ``data`` is plain UTF-8 text."""

    msg_type: ClassVar[MessageType] = T.MEDIA_DATA_TRANSCRIPT
    data: str
    timestamp: int | None = None
    user_id: UserId | None = None
    user_name: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    language: int | None = None
    attribute: int | str | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> MediaDataTranscript:
        """Read and validate (a bare string ``content`` is accepted as the text)."""
        raw = r.raw("content")
        if isinstance(raw, str):
            return cls(raw)
        c = _content(r)
        return cls(
            c.str_("data"),
            c.opt_int("timestamp"),
            c.opt_user_id("user_id"),
            c.opt_str("user_name"),
            c.opt_int("start_time"),
            c.opt_int("end_time"),
            c.opt_int("language"),
            c.opt_user_id("attribute"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "content": drop_none(
                    {
                        "user_id": self.user_id,
                        "user_name": self.user_name,
                        "timestamp": self.timestamp,
                        "start_time": self.start_time,
                        "end_time": self.end_time,
                        "language": self.language,
                        "attribute": self.attribute,
                        "data": self.data,
                    }
                )
            },
        )


@dataclass(frozen=True, slots=True)
class MediaDataChat:
    """MEDIA_DATA_CHAT (18): one chat line, ``data`` is plain text."""

    msg_type: ClassVar[MessageType] = T.MEDIA_DATA_CHAT
    data: str
    timestamp: int | None = None
    user_id: UserId | None = None
    user_name: str | None = None
    attribute: int | str | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> MediaDataChat:
        """Read and validate (a bare string ``content`` is accepted as the text)."""
        raw = r.raw("content")
        if isinstance(raw, str):
            return cls(raw)
        c = _content(r)
        return cls(
            c.str_("data"),
            c.opt_int("timestamp"),
            c.opt_user_id("user_id"),
            c.opt_str("user_name"),
            c.opt_user_id("attribute"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            {
                "content": drop_none(
                    {
                        "user_id": self.user_id,
                        "user_name": self.user_name,
                        "timestamp": self.timestamp,
                        "attribute": self.attribute,
                        "data": self.data,
                    }
                )
            },
        )


@dataclass(frozen=True, slots=True)
class MetaData:
    """META_DATA_* (23-27): the format is unpublished, so ``content`` stays raw JSON."""

    msg_type: MessageType
    content: Any = None

    @classmethod
    def read(cls, msg_type: MessageType, r: Reader) -> MetaData:
        """Read (any JSON ``content`` is accepted)."""
        return cls(msg_type, r.raw("content"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(self.msg_type, drop_none({"content": self.content}))


# --------------------------------------------------------------------------- video subscription


@dataclass(frozen=True, slots=True)
class VideoSubscriptionRequest:
    """VIDEO_SUBSCRIPTION_REQ (28), app -> signaling (needs video data_opt 4)."""

    msg_type: ClassVar[MessageType] = T.VIDEO_SUBSCRIPTION_REQ
    user_id: UserId
    subscribe: bool = True
    timestamp: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> VideoSubscriptionRequest:
        """Read and validate."""
        subscribe = r.opt_bool("subscribe")
        return cls(
            r.user_id("user_id"), True if subscribe is None else subscribe, r.opt_int("timestamp")
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {"user_id": self.user_id, "subscribe": self.subscribe, "timestamp": self.timestamp}
            ),
        )


@dataclass(frozen=True, slots=True)
class VideoSubscriptionResponse:
    """VIDEO_SUBSCRIPTION_RESP (29); 44 for a duplicate subscription."""

    msg_type: ClassVar[MessageType] = T.VIDEO_SUBSCRIPTION_RESP
    user_id: UserId
    status_code: int = 0
    reason: str = ""
    timestamp: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> VideoSubscriptionResponse:
        """Read and validate."""
        return cls(
            r.user_id("user_id"),
            r.opt_int("status_code") or 0,
            r.opt_str("reason") or "",
            r.opt_int("timestamp"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return _with_type(
            self.msg_type,
            drop_none(
                {
                    "user_id": self.user_id,
                    "status_code": self.status_code,
                    "reason": self.reason,
                    "timestamp": self.timestamp,
                }
            ),
        )


Message: TypeAlias = (
    SignalingHandshakeRequest
    | SignalingHandshakeResponse
    | DataHandshakeRequest
    | DataHandshakeResponse
    | EventSubscription
    | EventUpdate
    | ClientReadyAck
    | StreamStateUpdate
    | SessionStateUpdate
    | SessionStateRequest
    | SessionStateResponse
    | KeepAliveRequest
    | KeepAliveResponse
    | MediaDataAudio
    | MediaDataVideo
    | MediaDataShare
    | MediaDataTranscript
    | MediaDataChat
    | StreamStateRequest
    | StreamStateResponse
    | StreamCloseRequest
    | StreamCloseResponse
    | MetaData
    | VideoSubscriptionRequest
    | VideoSubscriptionResponse
)
"""Any decoded RTMS message."""
