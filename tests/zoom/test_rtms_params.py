"""The media-parameter validation matrix (reference 3.1) and its status codes."""

from __future__ import annotations

import pytest

from meetmind.zoom.rtms.protocol import (
    AudioParams,
    ChatParams,
    DeskshareParams,
    MediaParams,
    MediaType,
    StatusCode,
    TranscriptParams,
    VideoParams,
    audio_frame_size,
    negotiate_media,
)

S = StatusCode


def test_defaults_are_the_websocket_protocol_defaults() -> None:
    n = negotiate_media(MediaType.AUDIO | MediaType.TRANSCRIPT, None)
    assert n.ok and n.status_code == S.OK
    assert n.media_params == MediaParams(
        audio=AudioParams(2, 1, 1, 1, 1, 20),
        transcript=TranscriptParams(5, None, True),
    )
    assert n.media_types == MediaType.AUDIO | MediaType.TRANSCRIPT
    assert n.media_params.audio is not None and audio_frame_size(n.media_params.audio) == 640


def test_all_means_everything_allowed() -> None:
    n = negotiate_media(MediaType.ALL, None, allowed=MediaType.AUDIO | MediaType.CHAT)
    assert n.media_types == MediaType.AUDIO | MediaType.CHAT
    assert n.media_params is not None and n.media_params.chat == ChatParams(5)
    assert n.media_params.video is None


def test_official_client_defaults_are_accepted() -> None:
    # Reference Part B 4.1: OPUS/48k/stereo/multi, H264 HD 30 fps video and deskshare.
    assert negotiate_media(1, MediaParams(audio=AudioParams(2, 3, 2, 4, 2, 20))).ok
    assert negotiate_media(2, MediaParams(video=VideoParams(3, 7, 2, 3, 30))).ok
    assert negotiate_media(4, MediaParams(deskshare=DeskshareParams(3, 7, 2, 30))).ok
    assert negotiate_media(8, None).ok


@pytest.mark.parametrize(
    ("media_type", "params", "allowed", "status"),
    [
        (0, None, None, S.INVALID_MEDIA_TYPE),
        (64, None, None, S.MEDIA_TYPE_INVALID_VALUE),
        (1, None, MediaType.TRANSCRIPT, S.MEDIA_TYPE_AUDIO_NOT_SUPPORT),
        (2, None, MediaType.AUDIO, S.MEDIA_TYPE_VIDEO_NOT_SUPPORT),
        (4, None, MediaType.AUDIO, S.MEDIA_TYPE_DESKSHARE_NOT_SUPPORT),
        (8, None, MediaType.AUDIO, S.MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT),
        (16, None, MediaType.AUDIO, S.MEDIA_TYPE_CHAT_NOT_SUPPORT),
        (1, AudioParams(content_type=3), None, S.INVALID_MEDIA_AUDIO_CONTENT_TYPE),
        (1, AudioParams(content_type=1, codec=1), None, S.INVALID_MEDIA_AUDIO_CONTENT_TYPE),
        (1, AudioParams(sample_rate=4), None, S.INVALID_MEDIA_AUDIO_SAMPLE_RATE),
        (1, AudioParams(codec=4, sample_rate=1), None, S.INVALID_MEDIA_AUDIO_SAMPLE_RATE),
        (1, AudioParams(channel=3), None, S.INVALID_MEDIA_AUDIO_CHANNEL),
        (1, AudioParams(codec=2, sample_rate=0, channel=2), None, S.INVALID_MEDIA_AUDIO_CHANNEL),
        (1, AudioParams(codec=5), None, S.INVALID_MEDIA_AUDIO_CODEC),
        (1, AudioParams(data_opt=3), None, S.INVALID_MEDIA_AUDIO_DATA_OPT),
        (1, AudioParams(send_rate=30), None, S.INVALID_MEDIA_AUDIO_SEND_RATE),
        (1, AudioParams(send_rate=0), None, S.INVALID_MEDIA_AUDIO_SEND_RATE),
        (
            1,
            AudioParams(codec=3, sample_rate=1, send_rate=40),
            None,
            S.INVALID_MEDIA_AUDIO_SEND_RATE,
        ),
        (2, VideoParams(content_type=2), None, S.INVALID_MEDIA_VIDEO_CONTENT_TYPE),
        (2, VideoParams(codec=1), None, S.INVALID_MEDIA_VIDEO_CODEC),
        (2, VideoParams(resolution=5), None, S.INVALID_MEDIA_VIDEO_RESOLUTION),
        (2, VideoParams(data_opt=1), None, S.INVALID_MEDIA_VIDEO_DATA_OPT),
        (2, VideoParams(fps=31), None, S.INVALID_MEDIA_VIDEO_FPS),
        (2, VideoParams(codec=5, fps=10), None, S.INVALID_MEDIA_VIDEO_FPS),
        (4, DeskshareParams(content_type=5), None, S.INVALID_MEDIA_DESKSHARE_CONTENT_TYPE),
        (4, DeskshareParams(codec=4), None, S.INVALID_MEDIA_DESKSHARE_CODEC),
        (4, DeskshareParams(resolution=0), None, S.INVALID_MEDIA_DESKSHARE_RESOLUTION),
        (4, DeskshareParams(codec=6, fps=2), None, S.INVALID_MEDIA_DESKSHARE_FPS),
        (8, TranscriptParams(content_type=2), None, S.INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE),
        (8, TranscriptParams(src_language=99), None, S.INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE),
        (16, ChatParams(content_type=1), None, S.INVALID_MEDIA_CHAT_CONTENT_TYPE),
    ],
)
def test_rejections(
    media_type: int,
    params: object,
    allowed: MediaType | None,
    status: StatusCode,
) -> None:
    key = {
        AudioParams: "audio",
        VideoParams: "video",
        DeskshareParams: "deskshare",
        TranscriptParams: "transcript",
        ChatParams: "chat",
    }
    mp = None if params is None else MediaParams(**{key[type(params)]: params})  # type: ignore[arg-type]
    kwargs = {} if allowed is None else {"allowed": allowed}
    n = negotiate_media(media_type, mp, **kwargs)  # type: ignore[arg-type]
    assert n.status_code == status
    assert not n.ok and n.media_params is None and n.reason


@pytest.mark.parametrize(
    ("params", "size"),
    [
        (AudioParams(2, 0, 1, 1, 1, 20), 320),
        (AudioParams(2, 1, 1, 1, 1, 20), 640),
        (AudioParams(2, 3, 2, 1, 1, 100), 19200),
        (AudioParams(2, 2, 1, 1, 2, 1000), 64000),
        (AudioParams(2, 0, 1, 2, 1, 20), 160),
        (AudioParams(2, 1, 1, 3, 1, 20), 160),
        (AudioParams(2, 3, 2, 4, 1, 20), None),
    ],
)
def test_frame_sizes(params: AudioParams, size: int | None) -> None:
    assert negotiate_media(1, MediaParams(audio=params)).ok
    assert audio_frame_size(params) == size


def test_send_rate_above_1000_is_clamped() -> None:
    n = negotiate_media(1, MediaParams(audio=AudioParams(send_rate=5000)))
    assert n.ok and n.media_params is not None and n.media_params.audio is not None
    assert n.media_params.audio.send_rate == 1000


def test_video_fps_above_5_without_codec_falls_back_to_jpg_at_5() -> None:
    n = negotiate_media(2, MediaParams(video=VideoParams(fps=25)))
    assert n.media_params is not None and n.media_params.video == VideoParams(3, 5, 2, 3, 5)


def test_params_for_unrequested_types_are_ignored() -> None:
    n = negotiate_media(8, MediaParams(audio=AudioParams(codec=99)))
    assert n.ok and n.media_params == MediaParams(transcript=TranscriptParams(5, None, True))
