"""Media parameters of the data handshake (msg 3/4) and Zoom's validation matrix.

The dataclasses hold raw wire integers (a server must be able to represent invalid requests in
order to reject them). :func:`negotiate_media` applies the documented rules and defaults and
returns the RTMS status code a media server answers with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from meetmind.zoom.rtms._wire import JsonObject, Reader, drop_none
from meetmind.zoom.rtms.enums import (
    SAMPLE_RATE_HZ,
    AudioChannel,
    AudioSampleRate,
    MediaCodec,
    MediaContentType,
    MediaDataOption,
    MediaResolution,
    MediaType,
    StatusCode,
    TranscriptLanguage,
)

__all__ = [
    "ALL_MEDIA",
    "AudioParams",
    "ChatParams",
    "DeskshareParams",
    "MediaParams",
    "Negotiation",
    "TranscriptParams",
    "VideoParams",
    "audio_frame_size",
    "media_kinds",
    "negotiate_media",
]

ALL_MEDIA = (
    MediaType.AUDIO | MediaType.VIDEO | MediaType.DESKSHARE | MediaType.TRANSCRIPT | MediaType.CHAT
)
"""Every concrete media type (without the ``ALL`` flag)."""

_KINDS: tuple[tuple[MediaType, str], ...] = (
    (MediaType.AUDIO, "audio"),
    (MediaType.VIDEO, "video"),
    (MediaType.DESKSHARE, "deskshare"),
    (MediaType.TRANSCRIPT, "transcript"),
    (MediaType.CHAT, "chat"),
)


@dataclass(frozen=True, slots=True)
class AudioParams:
    """``media_params.audio``; ``None`` means "not sent" (the server fills the default)."""

    content_type: int | None = None
    sample_rate: int | None = None
    channel: int | None = None
    codec: int | None = None
    data_opt: int | None = None
    send_rate: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> AudioParams:
        """Read from a JSON object."""
        return cls(
            content_type=r.opt_int("content_type", StatusCode.INVALID_MEDIA_AUDIO_CONTENT_TYPE),
            sample_rate=r.opt_int("sample_rate", StatusCode.INVALID_MEDIA_AUDIO_SAMPLE_RATE),
            channel=r.opt_int("channel", StatusCode.INVALID_MEDIA_AUDIO_CHANNEL),
            codec=r.opt_int("codec", StatusCode.INVALID_MEDIA_AUDIO_CODEC),
            data_opt=r.opt_int("data_opt", StatusCode.INVALID_MEDIA_AUDIO_DATA_OPT),
            send_rate=r.opt_int("send_rate", StatusCode.INVALID_MEDIA_AUDIO_SEND_RATE),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent fields omitted)."""
        return drop_none(
            {
                "content_type": self.content_type,
                "sample_rate": self.sample_rate,
                "channel": self.channel,
                "codec": self.codec,
                "data_opt": self.data_opt,
                "send_rate": self.send_rate,
            }
        )


@dataclass(frozen=True, slots=True)
class VideoParams:
    """``media_params.video``."""

    content_type: int | None = None
    codec: int | None = None
    resolution: int | None = None
    data_opt: int | None = None
    fps: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> VideoParams:
        """Read from a JSON object."""
        return cls(
            content_type=r.opt_int("content_type", StatusCode.INVALID_MEDIA_VIDEO_CONTENT_TYPE),
            codec=r.opt_int("codec", StatusCode.INVALID_MEDIA_VIDEO_CODEC),
            resolution=r.opt_int("resolution", StatusCode.INVALID_MEDIA_VIDEO_RESOLUTION),
            data_opt=r.opt_int("data_opt", StatusCode.INVALID_MEDIA_VIDEO_DATA_OPT),
            fps=r.opt_int("fps", StatusCode.INVALID_MEDIA_VIDEO_FPS),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent fields omitted)."""
        return drop_none(
            {
                "content_type": self.content_type,
                "codec": self.codec,
                "resolution": self.resolution,
                "data_opt": self.data_opt,
                "fps": self.fps,
            }
        )


@dataclass(frozen=True, slots=True)
class DeskshareParams:
    """``media_params.deskshare``."""

    content_type: int | None = None
    codec: int | None = None
    resolution: int | None = None
    fps: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> DeskshareParams:
        """Read from a JSON object."""
        return cls(
            content_type=r.opt_int("content_type", StatusCode.INVALID_MEDIA_DESKSHARE_CONTENT_TYPE),
            codec=r.opt_int("codec", StatusCode.INVALID_MEDIA_DESKSHARE_CODEC),
            resolution=r.opt_int("resolution", StatusCode.INVALID_MEDIA_DESKSHARE_RESOLUTION),
            fps=r.opt_int("fps", StatusCode.INVALID_MEDIA_DESKSHARE_FPS),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent fields omitted)."""
        return drop_none(
            {
                "content_type": self.content_type,
                "codec": self.codec,
                "resolution": self.resolution,
                "fps": self.fps,
            }
        )


@dataclass(frozen=True, slots=True)
class TranscriptParams:
    """``media_params.transcript``."""

    content_type: int | None = None
    src_language: int | None = None
    enable_lid: bool | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> TranscriptParams:
        """Read from a JSON object."""
        status = StatusCode.INVALID_MEDIA_TRANSCRIPT_PARAMS
        return cls(
            content_type=r.opt_int(
                "content_type", StatusCode.INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE
            ),
            src_language=r.opt_int(
                "src_language", StatusCode.INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE
            ),
            enable_lid=r.opt_bool("enable_lid", status),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent fields omitted)."""
        return drop_none(
            {
                "content_type": self.content_type,
                "src_language": self.src_language,
                "enable_lid": self.enable_lid,
            }
        )


@dataclass(frozen=True, slots=True)
class ChatParams:
    """``media_params.chat``."""

    content_type: int | None = None

    @classmethod
    def from_wire(cls, r: Reader) -> ChatParams:
        """Read from a JSON object."""
        return cls(
            content_type=r.opt_int("content_type", StatusCode.INVALID_MEDIA_CHAT_CONTENT_TYPE)
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent fields omitted)."""
        return drop_none({"content_type": self.content_type})


@dataclass(frozen=True, slots=True)
class MediaParams:
    """``media_params`` of the data handshake: one optional section per media type."""

    audio: AudioParams | None = None
    video: VideoParams | None = None
    deskshare: DeskshareParams | None = None
    transcript: TranscriptParams | None = None
    chat: ChatParams | None = None

    @classmethod
    def from_wire(cls, obj: JsonObject, where: str = "media_params") -> MediaParams:
        """Read from a JSON object; unknown sections are ignored."""
        r = Reader(obj, where, StatusCode.INVALID_MEDIA_PARAMS)
        audio = r.opt_obj("audio", StatusCode.INVALID_MEDIA_AUDIO_PARAMS)
        video = r.opt_obj("video", StatusCode.INVALID_MEDIA_VIDEO_PARAMS)
        share = r.opt_obj("deskshare", StatusCode.INVALID_MEDIA_DESKSHARE_PARAMS)
        text = r.opt_obj("transcript", StatusCode.INVALID_MEDIA_TRANSCRIPT_PARAMS)
        chat = r.opt_obj("chat", StatusCode.INVALID_MEDIA_CHAT_PARAMS)
        return cls(
            audio=None
            if audio is None
            else AudioParams.from_wire(
                r.child(audio, "audio", StatusCode.INVALID_MEDIA_AUDIO_PARAMS)
            ),
            video=None
            if video is None
            else VideoParams.from_wire(
                r.child(video, "video", StatusCode.INVALID_MEDIA_VIDEO_PARAMS)
            ),
            deskshare=None
            if share is None
            else DeskshareParams.from_wire(
                r.child(share, "deskshare", StatusCode.INVALID_MEDIA_DESKSHARE_PARAMS)
            ),
            transcript=None
            if text is None
            else TranscriptParams.from_wire(
                r.child(text, "transcript", StatusCode.INVALID_MEDIA_TRANSCRIPT_PARAMS)
            ),
            chat=None
            if chat is None
            else ChatParams.from_wire(r.child(chat, "chat", StatusCode.INVALID_MEDIA_CHAT_PARAMS)),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent sections omitted)."""
        return drop_none(
            {
                "audio": None if self.audio is None else self.audio.to_wire(),
                "video": None if self.video is None else self.video.to_wire(),
                "deskshare": None if self.deskshare is None else self.deskshare.to_wire(),
                "transcript": None if self.transcript is None else self.transcript.to_wire(),
                "chat": None if self.chat is None else self.chat.to_wire(),
            }
        )


@dataclass(frozen=True, slots=True)
class Negotiation:
    """Outcome of :func:`negotiate_media`.

    Attributes:
        status_code: ``StatusCode.OK`` or the documented rejection code.
        reason: Human-readable reason ("" on success).
        media_types: The concrete media types granted (never contains ``ALL``).
        media_params: The effective parameters to echo in msg 4 (``None`` on failure).
    """

    status_code: StatusCode
    reason: str
    media_types: MediaType
    media_params: MediaParams | None

    @property
    def ok(self) -> bool:
        """Whether the handshake is accepted."""
        return self.status_code == StatusCode.OK


class _Reject(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, status: StatusCode, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def media_kinds(media_types: int) -> list[tuple[MediaType, str]]:
    """The ``(flag, media_params key)`` pairs present in a concrete media type mask."""
    return [(flag, key) for flag, key in _KINDS if media_types & flag]


_NOT_SUPPORTED = {
    MediaType.AUDIO: StatusCode.MEDIA_TYPE_AUDIO_NOT_SUPPORT,
    MediaType.VIDEO: StatusCode.MEDIA_TYPE_VIDEO_NOT_SUPPORT,
    MediaType.DESKSHARE: StatusCode.MEDIA_TYPE_DESKSHARE_NOT_SUPPORT,
    MediaType.TRANSCRIPT: StatusCode.MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT,
    MediaType.CHAT: StatusCode.MEDIA_TYPE_CHAT_NOT_SUPPORT,
}


def negotiate_media(
    media_type: int, requested: MediaParams | None, *, allowed: MediaType = ALL_MEDIA
) -> Negotiation:
    """Validate a data handshake's ``media_type`` and ``media_params`` as Zoom does.

    Args:
        media_type: The requested MEDIA_DATA_TYPE bitmask.
        requested: The request's ``media_params`` (``None`` when omitted or ``null``).
        allowed: The media types the app's scopes allow.

    Returns:
        The status code (0 or one of 7, 9-14, 18-35, 37, 39, 43), the granted media types and the
        effective parameters with defaults filled in.
    """
    try:
        granted = _granted_types(media_type, allowed)
        req = requested or MediaParams()
        effective = MediaParams(
            audio=_audio(req.audio or AudioParams()) if granted & MediaType.AUDIO else None,
            video=_video(req.video or VideoParams()) if granted & MediaType.VIDEO else None,
            deskshare=_deskshare(req.deskshare or DeskshareParams())
            if granted & MediaType.DESKSHARE
            else None,
            transcript=_transcript(req.transcript or TranscriptParams())
            if granted & MediaType.TRANSCRIPT
            else None,
            chat=_chat(req.chat or ChatParams()) if granted & MediaType.CHAT else None,
        )
    except _Reject as rej:
        return Negotiation(rej.status, rej.reason, MediaType(0), None)
    return Negotiation(StatusCode.OK, "", granted, effective)


def _granted_types(media_type: int, allowed: MediaType) -> MediaType:
    if media_type <= 0:
        raise _Reject(StatusCode.INVALID_MEDIA_TYPE, f"invalid media_type {media_type}")
    if media_type & ~int(ALL_MEDIA | MediaType.ALL):
        raise _Reject(StatusCode.MEDIA_TYPE_INVALID_VALUE, f"invalid media_type value {media_type}")
    if media_type & MediaType.ALL:
        return allowed
    for flag, _key in _KINDS:
        if media_type & flag and not allowed & flag:
            raise _Reject(_NOT_SUPPORTED[flag], f"media type {flag.name} not allowed for this app")
    return MediaType(media_type)


def _member(value: int, enum: Any, status: StatusCode, name: str) -> None:
    try:
        enum(value)
    except ValueError:
        raise _Reject(status, f"invalid {name} {value}") from None


def _audio(p: AudioParams) -> AudioParams:
    s = StatusCode
    content = MediaContentType.RAW_AUDIO if p.content_type is None else p.content_type
    codec = MediaCodec.L16 if p.codec is None else p.codec
    rate = AudioSampleRate.SR_16K if p.sample_rate is None else p.sample_rate
    channel = AudioChannel.MONO if p.channel is None else p.channel
    data_opt = MediaDataOption.AUDIO_MIXED_STREAM if p.data_opt is None else p.data_opt
    send_rate = 20 if p.send_rate is None else p.send_rate
    if content not in (MediaContentType.RTP, MediaContentType.RAW_AUDIO):
        raise _Reject(s.INVALID_MEDIA_AUDIO_CONTENT_TYPE, f"invalid audio content_type {content}")
    if codec not in (MediaCodec.L16, MediaCodec.G711, MediaCodec.G722, MediaCodec.OPUS):
        raise _Reject(s.INVALID_MEDIA_AUDIO_CODEC, f"invalid audio codec {codec}")
    _member(rate, AudioSampleRate, s.INVALID_MEDIA_AUDIO_SAMPLE_RATE, "audio sample_rate")
    _member(channel, AudioChannel, s.INVALID_MEDIA_AUDIO_CHANNEL, "audio channel")
    if data_opt not in (MediaDataOption.AUDIO_MIXED_STREAM, MediaDataOption.AUDIO_MULTI_STREAMS):
        raise _Reject(s.INVALID_MEDIA_AUDIO_DATA_OPT, f"invalid audio data_opt {data_opt}")
    if send_rate > 1000:
        send_rate = 1000  # documented: clamped, not rejected
    if send_rate <= 0 or send_rate % 20:
        raise _Reject(s.INVALID_MEDIA_AUDIO_SEND_RATE, f"invalid audio send_rate {send_rate}")
    if codec == MediaCodec.L16:
        if content != MediaContentType.RAW_AUDIO:
            raise _Reject(s.INVALID_MEDIA_AUDIO_CONTENT_TYPE, "L16 needs content_type RAW_AUDIO")
    else:
        required_rate = {
            MediaCodec.OPUS: AudioSampleRate.SR_48K,
            MediaCodec.G711: AudioSampleRate.SR_8K,
            MediaCodec.G722: AudioSampleRate.SR_16K,
        }[MediaCodec(codec)]
        if rate != required_rate:
            raise _Reject(
                s.INVALID_MEDIA_AUDIO_SAMPLE_RATE,
                f"codec {codec} needs sample_rate {required_rate}",
            )
        if codec != MediaCodec.OPUS and channel != AudioChannel.MONO:
            raise _Reject(s.INVALID_MEDIA_AUDIO_CHANNEL, f"codec {codec} is mono only")
        if send_rate != 20:
            raise _Reject(s.INVALID_MEDIA_AUDIO_SEND_RATE, f"codec {codec} needs send_rate 20")
    return AudioParams(content, rate, channel, codec, data_opt, send_rate)


def _video(p: VideoParams) -> VideoParams:
    s = StatusCode
    content = MediaContentType.RAW_VIDEO if p.content_type is None else p.content_type
    if content != MediaContentType.RAW_VIDEO:
        raise _Reject(s.INVALID_MEDIA_VIDEO_CONTENT_TYPE, f"invalid video content_type {content}")
    resolution = MediaResolution.HD if p.resolution is None else p.resolution
    _member(resolution, MediaResolution, s.INVALID_MEDIA_VIDEO_RESOLUTION, "video resolution")
    data_opt = MediaDataOption.VIDEO_SINGLE_ACTIVE_STREAM if p.data_opt is None else p.data_opt
    if data_opt not in (
        MediaDataOption.VIDEO_SINGLE_ACTIVE_STREAM,
        MediaDataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM,
    ):
        raise _Reject(s.INVALID_MEDIA_VIDEO_DATA_OPT, f"invalid video data_opt {data_opt}")
    fps = 5 if p.fps is None else p.fps
    if not 1 <= fps <= 30:
        raise _Reject(s.INVALID_MEDIA_VIDEO_FPS, f"invalid video fps {fps}")
    codec = p.codec
    if codec is None:
        if fps > 5:
            fps = 5  # documented fallback: fps > 5 without a codec becomes JPG at 5 fps
        codec = MediaCodec.JPG
    if codec not in (MediaCodec.JPG, MediaCodec.PNG, MediaCodec.H264):
        raise _Reject(s.INVALID_MEDIA_VIDEO_CODEC, f"invalid video codec {codec}")
    if codec != MediaCodec.H264 and fps > 5:
        raise _Reject(s.INVALID_MEDIA_VIDEO_FPS, "JPG/PNG video allows at most 5 fps")
    return VideoParams(content, codec, resolution, data_opt, fps)


def _deskshare(p: DeskshareParams) -> DeskshareParams:
    s = StatusCode
    content = MediaContentType.RAW_VIDEO if p.content_type is None else p.content_type
    if content != MediaContentType.RAW_VIDEO:
        raise _Reject(
            s.INVALID_MEDIA_DESKSHARE_CONTENT_TYPE, f"invalid deskshare content_type {content}"
        )
    resolution = MediaResolution.FHD if p.resolution is None else p.resolution
    _member(
        resolution, MediaResolution, s.INVALID_MEDIA_DESKSHARE_RESOLUTION, "deskshare resolution"
    )
    fps = 1 if p.fps is None else p.fps
    if not 1 <= fps <= 30:
        raise _Reject(s.INVALID_MEDIA_DESKSHARE_FPS, f"invalid deskshare fps {fps}")
    codec = p.codec
    if codec is None:
        if fps > 1:
            fps = 1
        codec = MediaCodec.JPG
    if codec not in (MediaCodec.JPG, MediaCodec.PNG, MediaCodec.H264):
        raise _Reject(s.INVALID_MEDIA_DESKSHARE_CODEC, f"invalid deskshare codec {codec}")
    if codec != MediaCodec.H264 and fps > 1:
        raise _Reject(s.INVALID_MEDIA_DESKSHARE_FPS, "JPG/PNG deskshare allows at most 1 fps")
    return DeskshareParams(content, codec, resolution, fps)


def _transcript(p: TranscriptParams) -> TranscriptParams:
    content = MediaContentType.TEXT if p.content_type is None else p.content_type
    if content != MediaContentType.TEXT:
        raise _Reject(
            StatusCode.INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE,
            f"invalid transcript content_type {content}",
        )
    if p.src_language is not None:
        _member(
            p.src_language,
            TranscriptLanguage,
            StatusCode.INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
            "transcript src_language",
        )
    enable_lid = True if p.enable_lid is None else p.enable_lid
    return replace(p, content_type=content, enable_lid=enable_lid)


def _chat(p: ChatParams) -> ChatParams:
    content = MediaContentType.TEXT if p.content_type is None else p.content_type
    if content != MediaContentType.TEXT:
        raise _Reject(
            StatusCode.INVALID_MEDIA_CHAT_CONTENT_TYPE, f"invalid chat content_type {content}"
        )
    return ChatParams(content)


def audio_frame_size(params: AudioParams) -> int | None:
    """Bytes in one audio packet for fixed-rate codecs, ``None`` for Opus (variable).

    L16 is 2 bytes per sample per channel, G.711 one byte per sample, G.722 8 bytes per ms.
    Missing fields take the protocol defaults (L16, 16 kHz, mono, 20 ms).
    """
    codec = MediaCodec.L16 if params.codec is None else params.codec
    rate_hz = SAMPLE_RATE_HZ[
        AudioSampleRate(1 if params.sample_rate is None else params.sample_rate)
    ]
    channels = 1 if params.channel is None else params.channel
    ms = 20 if params.send_rate is None else params.send_rate
    samples = rate_hz * ms // 1000
    if codec == MediaCodec.L16:
        return samples * channels * 2
    if codec == MediaCodec.G711:
        return samples * channels
    if codec == MediaCodec.G722:
        return 8 * ms * channels
    return None
