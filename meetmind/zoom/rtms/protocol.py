"""The RTMS wire protocol, pure: enums, typed messages, encode/decode, handshake signature.

Nothing here does I/O or imports asyncio; the RTMS client and the simulator's servers both build
on it. :func:`decode` never raises anything but :class:`ProtocolError` (or a subclass), whatever
bytes it is given::

    >>> msg = decode('{"msg_type": 12, "timestamp": 1727384349123, "sequence": 1}')
    >>> encode(msg.answer())
    '{"msg_type":13,"timestamp":1727384349123,"sequence":1}'
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from meetmind.zoom.rtms._wire import Reader, UserId
from meetmind.zoom.rtms.enums import (
    SAMPLE_RATE_HZ,
    AudioChannel,
    AudioSampleRate,
    DataMessageAttribute,
    EventType,
    MediaCodec,
    MediaContentType,
    MediaDataOption,
    MediaResolution,
    MediaType,
    MessageType,
    SessionState,
    StatusCode,
    StopReason,
    StreamState,
    TranscriptLanguage,
    TransmissionProtocol,
    ZccVoiceEventType,
)
from meetmind.zoom.rtms.errors import (
    InvalidFieldError,
    MalformedFrameError,
    ProtocolError,
    UnknownMessageTypeError,
)
from meetmind.zoom.rtms.messages import (
    ClientReadyAck,
    DataHandshakeRequest,
    DataHandshakeResponse,
    EventSubscription,
    EventUpdate,
    KeepAliveRequest,
    KeepAliveResponse,
    MediaDataAudio,
    MediaDataChat,
    MediaDataShare,
    MediaDataTranscript,
    MediaDataVideo,
    Message,
    MetaData,
    Participant,
    RtmsEvent,
    SessionStateRequest,
    SessionStateResponse,
    SessionStateUpdate,
    SignalingHandshakeRequest,
    SignalingHandshakeResponse,
    StreamCloseRequest,
    StreamCloseResponse,
    StreamStateRequest,
    StreamStateResponse,
    StreamStateUpdate,
    Subscription,
    VideoSubscriptionRequest,
    VideoSubscriptionResponse,
)
from meetmind.zoom.rtms.params import (
    ALL_MEDIA,
    AudioParams,
    ChatParams,
    DeskshareParams,
    MediaParams,
    Negotiation,
    TranscriptParams,
    VideoParams,
    audio_frame_size,
    media_kinds,
    negotiate_media,
)

__all__ = [
    "ALL_MEDIA",
    "MEDIA_MESSAGE_TYPES",
    "SAMPLE_RATE_HZ",
    "AudioChannel",
    "AudioParams",
    "AudioSampleRate",
    "ChatParams",
    "ClientReadyAck",
    "DataHandshakeRequest",
    "DataHandshakeResponse",
    "DataMessageAttribute",
    "DeskshareParams",
    "EventSubscription",
    "EventType",
    "EventUpdate",
    "InvalidFieldError",
    "KeepAliveRequest",
    "KeepAliveResponse",
    "MalformedFrameError",
    "MediaCodec",
    "MediaContentType",
    "MediaDataAudio",
    "MediaDataChat",
    "MediaDataOption",
    "MediaDataShare",
    "MediaDataTranscript",
    "MediaDataVideo",
    "MediaParams",
    "MediaResolution",
    "MediaType",
    "Message",
    "MessageType",
    "MetaData",
    "Negotiation",
    "Participant",
    "ProtocolError",
    "RtmsEvent",
    "SessionState",
    "SessionStateRequest",
    "SessionStateResponse",
    "SessionStateUpdate",
    "SignalingHandshakeRequest",
    "SignalingHandshakeResponse",
    "StatusCode",
    "StopReason",
    "StreamCloseRequest",
    "StreamCloseResponse",
    "StreamState",
    "StreamStateRequest",
    "StreamStateResponse",
    "StreamStateUpdate",
    "Subscription",
    "TranscriptLanguage",
    "TranscriptParams",
    "TransmissionProtocol",
    "UnknownMessageTypeError",
    "UserId",
    "VideoParams",
    "VideoSubscriptionRequest",
    "VideoSubscriptionResponse",
    "ZccVoiceEventType",
    "audio_frame_size",
    "decode",
    "decode_object",
    "encode",
    "handshake_signature",
    "media_kinds",
    "negotiate_media",
    "verify_handshake_signature",
]

MEDIA_MESSAGE_TYPES = frozenset(
    {
        MessageType.KEEP_ALIVE_REQ,
        MessageType.KEEP_ALIVE_RESP,
        MessageType.DATA_HAND_SHAKE_REQ,
        MessageType.DATA_HAND_SHAKE_RESP,
        MessageType.MEDIA_DATA_AUDIO,
        MessageType.MEDIA_DATA_VIDEO,
        MessageType.MEDIA_DATA_SHARE,
        MessageType.MEDIA_DATA_TRANSCRIPT,
        MessageType.MEDIA_DATA_CHAT,
    }
)
"""Message types that travel on media sockets; every other type is signaling."""

_READERS: dict[MessageType, Callable[[Reader], Message]] = {
    cls.msg_type: cls.from_wire
    for cls in (
        SignalingHandshakeRequest,
        SignalingHandshakeResponse,
        DataHandshakeRequest,
        DataHandshakeResponse,
        EventSubscription,
        EventUpdate,
        ClientReadyAck,
        StreamStateUpdate,
        SessionStateUpdate,
        SessionStateRequest,
        SessionStateResponse,
        KeepAliveRequest,
        KeepAliveResponse,
        MediaDataAudio,
        MediaDataVideo,
        MediaDataShare,
        MediaDataTranscript,
        MediaDataChat,
        StreamStateRequest,
        StreamStateResponse,
        StreamCloseRequest,
        StreamCloseResponse,
        VideoSubscriptionRequest,
        VideoSubscriptionResponse,
    )
}
_META = {
    MessageType.META_DATA_AUDIO,
    MessageType.META_DATA_VIDEO,
    MessageType.META_DATA_SHARE,
    MessageType.META_DATA_TRANSCRIPT,
    MessageType.META_DATA_CHAT,
}


def decode(frame: str | bytes | bytearray | memoryview) -> Message:
    """Decode one RTMS frame (text, or a binary frame holding UTF-8 JSON).

    Unknown fields are ignored. Zoom's official client sends tab-indented JSON in binary frames;
    both forms are accepted.

    Args:
        frame: The WebSocket message payload.

    Returns:
        The typed message.

    Raises:
        MalformedFrameError: The frame is not UTF-8 JSON holding an object.
        UnknownMessageTypeError: ``msg_type`` is not a known message type.
        InvalidFieldError: A field is missing or has the wrong type.
    """
    if isinstance(frame, bytes | bytearray | memoryview):
        try:
            text = bytes(frame).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedFrameError("frame is not UTF-8") from exc
    elif isinstance(frame, str):
        text = frame
    else:
        raise MalformedFrameError(f"frame must be str or bytes, not {type(frame).__name__}")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedFrameError(f"frame is not JSON: {exc}") from exc
    return decode_object(obj)


def decode_object(obj: Any) -> Message:
    """Decode an already-parsed JSON value into a typed message (see :func:`decode`)."""
    if not isinstance(obj, Mapping):
        raise MalformedFrameError(f"frame must be a JSON object, not {type(obj).__name__}")
    raw_type = obj.get("msg_type")
    if isinstance(raw_type, bool) or not isinstance(raw_type, int):
        if raw_type is None:
            raise InvalidFieldError(
                "msg_type", "is required", status_code=StatusCode.INVALID_MESSAGE_TYPE
            )
        raise UnknownMessageTypeError(raw_type)
    try:
        msg_type = MessageType(raw_type)
    except ValueError:
        raise UnknownMessageTypeError(raw_type) from None
    reader = Reader(obj)
    try:
        if msg_type in _META:
            return MetaData.read(msg_type, reader)
        read = _READERS.get(msg_type)
        if read is None:
            raise UnknownMessageTypeError(raw_type)
        return read(reader)
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as exc:  # defensive: never leak others
        raise InvalidFieldError("<frame>", str(exc)) from exc


def encode(msg: Message) -> str:
    """Encode a message as compact JSON text (what the simulator and client put on the wire)."""
    return json.dumps(msg.to_wire(), separators=(",", ":"), ensure_ascii=False)


def handshake_signature(
    client_id: str, client_secret: str, meeting_uuid: str, rtms_stream_id: str
) -> str:
    """The RTMS handshake signature (messages 1 and 3).

    Returns:
        Lowercase hex HMAC-SHA256 of ``"{client_id},{meeting_uuid},{rtms_stream_id}"`` keyed with
        the OAuth client secret.
    """
    message = f"{client_id},{meeting_uuid},{rtms_stream_id}".encode()
    return hmac.new(client_secret.encode(), message, hashlib.sha256).hexdigest()


def verify_handshake_signature(
    signature: str, client_id: str, client_secret: str, meeting_uuid: str, rtms_stream_id: str
) -> bool:
    """Constant-time check of a handshake signature (hex, case-insensitive)."""
    expected = handshake_signature(client_id, client_secret, meeting_uuid, rtms_stream_id)
    return hmac.compare_digest(expected, signature.lower())
