"""The RTMS signaling server over real sockets: handshakes good and bad, requests, states."""

from __future__ import annotations

import json

import pytest

from meetmind.sim import Simulator
from meetmind.zoom.rtms import protocol as p
from meetmind.zoom.rtms.protocol import EventType, SessionState, StatusCode, StreamState

from .conftest import RawSession, WebhookReceiver, handshake_signaling, join, started_stream


@pytest.mark.parametrize("binary", [False, True])
async def test_good_handshake_text_and_binary(sim: Simulator, binary: bool) -> None:
    stream = await started_stream(sim)
    ws, resp = await handshake_signaling(sim, stream, binary=binary, rtms_client_agent="x/1")
    try:
        assert isinstance(resp, p.SignalingHandshakeResponse)
        assert resp.status_code == 0 and resp.sequence == 5
        urls = resp.media_server_urls or {}
        assert set(urls) == {"audio", "video", "deskshare", "transcript", "chat", "all"}
        first = p.decode(await ws.recv())
        assert isinstance(first, p.EventUpdate)
        assert first.event.event_type == EventType.FIRST_PACKET_TIMESTAMP
        assert first.event.timestamp == stream.first_packet_ts
    finally:
        await ws.close()


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"rtms_stream_id": "0" * 32}, StatusCode.INVALID_RTMS_STREAM_ID),
        ({"meeting_uuid": "other=="}, StatusCode.INVALID_RTMS_STREAM_ID),
        ({"signature": "00" * 32}, StatusCode.INVALID_SIGNATURE),
        ({"signature": None}, StatusCode.INVALID_PAYLOAD),
        ({"rtms_stream_id": None}, StatusCode.INVALID_PAYLOAD),
        ({"meeting_uuid": 12}, StatusCode.INVALID_PAYLOAD),
        ({"msg_type": 3}, StatusCode.INVALID_MESSAGE_TYPE),
        ({"msg_type": 77}, StatusCode.INVALID_MESSAGE_TYPE),
    ],
)
async def test_bad_handshakes(sim: Simulator, overrides: dict[str, object], status: int) -> None:
    stream = await started_stream(sim)
    ws, resp = await handshake_signaling(sim, stream, **overrides)
    assert isinstance(resp, p.SignalingHandshakeResponse)
    assert resp.status_code == status and resp.reason
    await ws.wait_closed()
    assert stream.signaling is None


async def test_malformed_first_frame(sim: Simulator) -> None:
    import websockets

    stream = await started_stream(sim)
    async with websockets.connect(stream.server_urls) as ws:
        await ws.send(b"\xff not json")
        resp = p.decode(await ws.recv())
        assert isinstance(resp, p.SignalingHandshakeResponse)
        assert resp.status_code == StatusCode.INVALID_PAYLOAD


async def test_duplicate_signaling_is_rejected_while_the_first_lives(sim: Simulator) -> None:
    stream = await started_stream(sim)
    first, resp = await handshake_signaling(sim, stream)
    assert isinstance(resp, p.SignalingHandshakeResponse) and resp.status_code == 0
    second, dup = await handshake_signaling(sim, stream)
    assert isinstance(dup, p.SignalingHandshakeResponse)
    assert dup.status_code == StatusCode.DUPLICATE_SIGNAL_REQUEST
    assert dup.reason == "duplicate signal request"
    assert stream.signaling is not None and stream.signaling.ws.state.name == "OPEN"
    await first.close()
    await second.close()


async def test_ready_ack_starts_states_participants_and_media(
    sim: Simulator, sessions: list[RawSession]
) -> None:
    stream = await started_stream(sim)
    s = await join(sim, stream)
    sessions.append(s)
    updates = await s.wait(lambda: s.of("signaling", p.StreamStateUpdate))
    assert updates[0].state == StreamState.ACTIVE
    session_updates = await s.wait(lambda: s.of("signaling", p.SessionStateUpdate))
    assert session_updates[0].state == SessionState.STARTED
    assert session_updates[0].rtms_session_id == stream.session_id
    joins = await s.wait(
        lambda: [
            e
            for e in s.of("signaling", p.EventUpdate)
            if e.event.event_type == EventType.PARTICIPANT_JOIN
        ]
    )
    assert joins[0].event.participants
    transcript = await s.wait(lambda: s.of("transcript", p.MediaDataTranscript))
    assert transcript[0].user_name == "Alice Chen"
    assert transcript[0].start_time is not None and transcript[0].end_time is not None
    assert transcript[0].language == 9


async def test_no_media_without_ready_ack_and_bad_ack_is_recorded(
    sim: Simulator, sessions: list[RawSession]
) -> None:
    stream = await started_stream(sim)
    s = await join(sim, stream, ready=False)
    sessions.append(s)
    assert s.signaling is not None
    await s.signaling.send(json.dumps({"msg_type": 7, "rtms_stream_id": "wrong"}))
    entry = await sim.record.wait_for(lambda e: e.kind == "invalid_client_ready_ack", limit_s=5)
    assert entry.data["status_code"] == StatusCode.INVALID_CLIENT_READY_ACK
    await sim.clock.sleep(15)  # the first utterance ends at 9.5 s
    assert not s.of("transcript", p.MediaDataTranscript)
    await s.signaling.send(json.dumps({"msg_type": 7, "rtms_stream_id": stream.stream_id}))
    got = await s.wait(lambda: s.of("transcript", p.MediaDataTranscript))
    assert got[0].data.startswith("Morning Bob")  # buffered, not lost


async def test_state_requests_close_and_video_subscription(
    sim: Simulator, sessions: list[RawSession], receiver: WebhookReceiver
) -> None:
    stream = await started_stream(sim)
    s = await join(sim, stream, {"transcript": (8, None), "video": (2, {"video": {"data_opt": 4}})})
    sessions.append(s)
    ws = s.signaling
    assert ws is not None
    await s.wait(lambda: s.of("signaling", p.StreamStateUpdate))
    await ws.send(json.dumps({"msg_type": 19, "rtms_stream_id": stream.stream_id}))
    await ws.send(json.dumps({"msg_type": 10, "rtms_session_id": stream.session_id}))
    await ws.send(json.dumps({"msg_type": 10, "rtms_session_id": "nope"}))
    await ws.send(json.dumps({"msg_type": 28, "user_id": 16778240, "subscribe": True}))
    await ws.send(json.dumps({"msg_type": 28, "user_id": 16778240, "subscribe": True}))
    stream_state = await s.wait(lambda: s.of("signaling", p.StreamStateResponse))
    assert stream_state[0].state == StreamState.ACTIVE
    sessions_resp = await s.wait(
        lambda: (
            len(s.of("signaling", p.SessionStateResponse)) >= 2
            and s.of("signaling", p.SessionStateResponse)
        )
    )
    assert sessions_resp[0].state == SessionState.STARTED and sessions_resp[0].status_code == 0
    assert sessions_resp[1].status_code == StatusCode.INVALID_RTMS_SESSION_ID
    video = await s.wait(
        lambda: (
            len(s.of("signaling", p.VideoSubscriptionResponse)) >= 2
            and s.of("signaling", p.VideoSubscriptionResponse)
        )
    )
    assert [v.status_code for v in video] == [0, StatusCode.DUPLICATE_VIDEO_SUBSCRIPTION]
    # unknown fields and unknown message types are ignored, the socket stays up
    await ws.send(json.dumps({"msg_type": 99, "x": 1}))
    await ws.send(json.dumps({"msg_type": 21, "rtms_stream_id": stream.stream_id, "extra": True}))
    close = await s.wait(lambda: s.of("signaling", p.StreamCloseResponse))
    assert close[0].status_code == 0 and close[0].reason == "OK"
    terminated = await s.wait(
        lambda: [
            u for u in s.of("signaling", p.StreamStateUpdate) if u.state == StreamState.TERMINATED
        ]
    )
    assert terminated[0].reason == p.StopReason.STOP_BC_RECEIVER_REQUEST_CLOSE
    stopped = await receiver.wait("meeting.rtms_stopped")
    assert stopped[0].body["payload"]["stop_reason"] == 20
    await s.wait(lambda: s.closed["signaling"].is_set())


async def test_event_subscription_is_honoured(sim: Simulator, sessions: list[RawSession]) -> None:
    stream = await started_stream(sim)
    s = await join(sim, stream, ready=False)
    sessions.append(s)
    assert s.signaling is not None
    await s.signaling.send(
        json.dumps(
            {"msg_type": 5, "events": [{"event_type": 2, "subscribe": False}, {"event_type": 1}]}
        )
    )
    bad = await sim.record.wait_for(lambda e: e.kind == "invalid_event_subscribe", limit_s=5)
    assert bad.data["status_code"] == StatusCode.INVALID_EVENT_SUBSCRIBE
    await s.signaling.send(json.dumps({"msg_type": 7, "rtms_stream_id": stream.stream_id}))
    await s.wait(lambda: len(s.of("transcript", p.MediaDataTranscript)) >= 3, limit_s=10)
    kinds = {e.event.event_type for e in s.of("signaling", p.EventUpdate)}
    assert EventType.ACTIVE_SPEAKER_CHANGE not in kinds
    assert EventType.PARTICIPANT_JOIN in kinds
