"""The RTMS media server: handshake validation, params, audio framing, chat, buffering."""

from __future__ import annotations

import json
from typing import Any

import pytest

from meetmind.sim import SimConfig, Simulator
from meetmind.zoom.rtms import protocol as p
from meetmind.zoom.rtms.protocol import MediaType, StatusCode

from .conftest import (
    RawSession,
    SimFactory,
    handshake_media,
    handshake_signaling,
    join,
    started_stream,
)


async def _signaling_urls(sim: Simulator, stream: Any) -> tuple[Any, dict[str, str]]:
    ws, resp = await handshake_signaling(sim, stream)
    assert isinstance(resp, p.SignalingHandshakeResponse) and resp.media_server_urls
    return ws, resp.media_server_urls


@pytest.mark.parametrize(
    ("media_type", "params", "overrides", "status"),
    [
        (8, None, {"signature": "ab" * 32}, StatusCode.INVALID_SIGNATURE),
        (8, None, {"rtms_stream_id": "f" * 32}, StatusCode.INVALID_RTMS_STREAM_ID),
        (0, None, {}, StatusCode.INVALID_MEDIA_TYPE),
        (128, None, {}, StatusCode.MEDIA_TYPE_INVALID_VALUE),
        (1, {"audio": {"sample_rate": 9}}, {}, StatusCode.INVALID_MEDIA_AUDIO_SAMPLE_RATE),
        (1, {"audio": {"send_rate": 30}}, {}, StatusCode.INVALID_MEDIA_AUDIO_SEND_RATE),
        (
            1,
            {"audio": {"codec": 4, "sample_rate": 1}},
            {},
            StatusCode.INVALID_MEDIA_AUDIO_SAMPLE_RATE,
        ),
        (1, {"audio": "loud"}, {}, StatusCode.INVALID_MEDIA_AUDIO_PARAMS),
        (1, [], {}, StatusCode.INVALID_MEDIA_PARAMS),
        (2, {"video": {"fps": 60}}, {}, StatusCode.INVALID_MEDIA_VIDEO_FPS),
        (4, {"deskshare": {"codec": 1}}, {}, StatusCode.INVALID_MEDIA_DESKSHARE_CODEC),
        (
            8,
            {"transcript": {"src_language": 77}},
            {},
            StatusCode.INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
        ),
        (16, {"chat": {"content_type": 2}}, {}, StatusCode.INVALID_MEDIA_CHAT_CONTENT_TYPE),
        (8, None, {"msg_type": 1}, StatusCode.INVALID_MESSAGE_TYPE),
    ],
)
async def test_bad_media_handshakes(
    sim: Simulator, media_type: int, params: Any, overrides: dict[str, Any], status: int
) -> None:
    stream = await started_stream(sim)
    sig, urls = await _signaling_urls(sim, stream)
    ws, resp = await handshake_media(sim, stream, urls["all"], media_type, params, **overrides)
    assert isinstance(resp, p.DataHandshakeResponse)
    assert resp.status_code == status and resp.reason
    await ws.wait_closed()
    await sig.close()


async def test_media_before_signaling_is_rejected(sim: Simulator) -> None:
    stream = await started_stream(sim)
    ws, resp = await handshake_media(sim, stream, stream.node.media_urls()["all"], 8)
    assert isinstance(resp, p.DataHandshakeResponse)
    assert resp.status_code == StatusCode.INVALID_RTMS_STREAM_ID
    await ws.close()


async def test_scopes_limit_media(make_sim: SimFactory) -> None:
    sim = await make_sim(
        config=SimConfig(allowed_media=MediaType.TRANSCRIPT, rtms_start_delay_s=0.1)
    )
    stream = await started_stream(sim)
    sig, urls = await _signaling_urls(sim, stream)
    assert set(urls) == {"transcript", "all"}
    ws, resp = await handshake_media(sim, stream, urls["all"], 1)
    assert isinstance(resp, p.DataHandshakeResponse)
    assert resp.status_code == StatusCode.MEDIA_TYPE_AUDIO_NOT_SUPPORT
    await ws.close()
    ws, resp = await handshake_media(sim, stream, urls["all"], 32)
    assert isinstance(resp, p.DataHandshakeResponse) and resp.status_code == 0
    assert resp.media_params == p.MediaParams(transcript=p.TranscriptParams(5, None, True))
    await ws.close()
    await sig.close()


async def test_duplicate_media_and_all_connection(sim: Simulator) -> None:
    stream = await started_stream(sim)
    sig, urls = await _signaling_urls(sim, stream)
    first, ok = await handshake_media(sim, stream, urls["transcript"], 8)
    assert isinstance(ok, p.DataHandshakeResponse) and ok.status_code == 0
    assert ok.payload_encrypted is False and ok.sequence == 6
    dup, resp = await handshake_media(sim, stream, urls["transcript"], 8 | 16)
    assert isinstance(resp, p.DataHandshakeResponse)
    assert resp.status_code == StatusCode.DUPLICATE_MEDIA_DATA_CONNECTION
    all_, resp = await handshake_media(sim, stream, urls["all"], 32)
    assert isinstance(resp, p.DataHandshakeResponse)
    assert resp.status_code == StatusCode.MEDIA_DATA_ALL_CONNECTION_EXIST
    for ws in (first, dup, all_, sig):
        await ws.close()


async def test_handshake_response_wire_has_official_client_keys(sim: Simulator) -> None:
    stream = await started_stream(sim)
    sig, urls = await _signaling_urls(sim, stream)
    import websockets

    async with websockets.connect(urls["transcript"]) as ws:
        await ws.send(
            json.dumps(
                {
                    "msg_type": 3,
                    "meeting_uuid": stream.meeting.uuid,
                    "rtms_stream_id": stream.stream_id,
                    "media_params": None,
                    "signature": sim.signature(stream.meeting.uuid, stream.stream_id),
                    "media_type": 8,
                    "sequence": 99,
                    "rtms_client_agent": "x",
                }
            )
        )
        wire = json.loads(await ws.recv())
    assert wire["payload_encrypted"] is False and "media_params" in wire
    assert wire["sequence"] == 99 and wire["status_code"] == 0
    await sig.close()


@pytest.mark.parametrize(
    ("params", "size", "per_participant"),
    [
        ({"sample_rate": 1, "channel": 1, "send_rate": 20}, 640, False),
        ({"sample_rate": 3, "channel": 2, "send_rate": 100}, 19200, False),
        ({"sample_rate": 0, "channel": 1, "send_rate": 1000}, 16000, False),
        ({"sample_rate": 1, "channel": 1, "send_rate": 200, "data_opt": 2}, 6400, True),
        ({"codec": 2, "sample_rate": 0, "channel": 1, "send_rate": 20}, 160, False),
    ],
)
async def test_audio_frames_match_negotiated_params(
    make_sim: SimFactory,
    sessions: list[RawSession],
    params: dict[str, int],
    size: int,
    per_participant: bool,
) -> None:
    sim = await make_sim(time_scale=10, record_audio=False)
    stream = await started_stream(sim)
    s = await join(sim, stream, {"audio": (1, {"audio": params})})
    sessions.append(s)
    frames = await s.wait(
        lambda: len(s.of("audio", p.MediaDataAudio)) >= 12 and s.of("audio", p.MediaDataAudio),
        limit_s=10,
    )
    assert all(len(f.data) == size == f.length for f in frames)
    if per_participant:
        assert all(f.user_id != 0 and f.user_name for f in frames)
        assert {f.user_name for f in frames} <= {"Alice Chen", "Bob Okafor", "Carol Diaz"}
    else:
        assert all(f.user_id == 0 and f.user_name == "" for f in frames)
        steps = {b.timestamp - a.timestamp for a, b in zip(frames, frames[1:], strict=False)}
        assert steps == {params["send_rate"]}
    # tone audio is not silence once someone speaks
    if params.get("codec", 1) == 1:
        await s.wait(lambda: any(any(f.data) for f in s.of("audio", p.MediaDataAudio)), limit_s=10)


async def test_chat_and_transcript_frames(make_sim: SimFactory, sessions: list[RawSession]) -> None:
    sim = await make_sim(time_scale=100)
    stream = await started_stream(sim)
    s = await join(sim, stream, {"all": (32, None)})
    sessions.append(s)
    chats = await s.wait(lambda: s.of("all", p.MediaDataChat), limit_s=10)
    assert chats[0].user_name == "Bob Okafor" and chats[0].data.startswith("Migration PR")
    assert isinstance(chats[0].timestamp, int) and chats[0].timestamp > 1_600_000_000_000
    transcripts = s.of("all", p.MediaDataTranscript)
    times = [t.start_time for t in transcripts]
    assert times == sorted(times)


@pytest.mark.parametrize("buffer_data", [True, False])
async def test_initial_buffer(
    make_sim: SimFactory, sessions: list[RawSession], buffer_data: bool
) -> None:
    sim = await make_sim(time_scale=50)
    stream = await started_stream(sim)
    await sim.clock.sleep(20)  # two utterances happen before anyone connects
    s = await join(sim, stream, {"transcript": (8, None)}, buffer_data=buffer_data)
    sessions.append(s)
    got = await s.wait(lambda: s.of("transcript", p.MediaDataTranscript), limit_s=5)
    first = got[0].data
    if buffer_data:
        assert first.startswith("Morning Bob")
    else:
        assert not first.startswith("Morning Bob") and not first.startswith("Hi both")
