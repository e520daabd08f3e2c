"""The event-stream core without I/O: decoder, reconnect policy and follower fed bytes directly."""

from __future__ import annotations

import json
import random
from datetime import datetime

import httpx
import pytest

from meetmind.client import (
    ApiError,
    AuthenticationError,
    DecodingError,
    NotFoundError,
    ReconnectPolicy,
    RequestTimeoutError,
    ServerSentEvent,
    SSEDecoder,
    TransportError,
)
from meetmind.client._events import EventFollower, StreamEndedError, events_path


def decode_all(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return [message for chunk in chunks for message in decoder.feed(chunk)]


def frame(event_id: int, type_: str = "transcript.turn", session: str = "ses_1") -> bytes:
    data = {
        "id": event_id,
        "type": type_,
        "session_id": session,
        "created_at": "2025-01-02T03:04:05.123456Z",
        "payload": {"n": event_id},
    }
    return f"id: {event_id}\nevent: {type_}\ndata: {json.dumps(data)}\n\n".encode()


# -- decoder -----------------------------------------------------------------------------------


def test_decodes_the_servers_message_shape() -> None:
    (message,) = decode_all(b'id: 7\nevent: session.status\ndata: {"a": 1}\n\n')
    assert message == ServerSentEvent(event="session.status", data='{"a": 1}', id="7")


def test_every_byte_split_gives_the_same_messages() -> None:
    stream = b": ping\n\n" + frame(1) + b": ping\r\n\r\n" + frame(2) + "data: é€😀\n\n".encode()
    whole = decode_all(stream)
    assert [m.id for m in whole] == ["1", "2", "2"]
    assert whole[2].data == "é€😀"
    for cut in range(1, len(stream)):
        assert decode_all(stream[:cut], stream[cut:]) == whole, cut
    assert decode_all(*(bytes([b]) for b in stream)) == whole


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_all_three_line_endings(eol: bytes) -> None:
    raw = b"data: a" + eol + b"data: b" + eol + b"id: 3" + eol + eol
    assert decode_all(raw) == [ServerSentEvent(event="message", data="a\nb", id="3")]
    # A CRLF split across chunks is one line end, not two (which would dispatch early).
    if eol == b"\r\n":
        assert decode_all(b"data: a\r", b"\ndata: b\r\n\r\n")[0].data == "a\nb"


def test_comments_empty_data_and_unknown_fields() -> None:
    raw = (
        b": keep-alive\n\n"  # comment only: nothing
        b"event: x\n\n"  # no data: nothing (and the event name is reset)
        b"foo: bar\ndata\n\n"  # unknown field ignored; "data" without colon is empty data
        b"data:no-space\ndata:  two spaces\n\n"
    )
    assert decode_all(raw) == [
        ServerSentEvent(event="message", data="", id=""),
        ServerSentEvent(event="message", data="no-space\n two spaces", id=""),
    ]


def test_id_carries_over_and_nul_ids_are_ignored() -> None:
    raw = b"id: 5\ndata: a\n\ndata: b\n\nid: 6\x007\ndata: c\n\nid\ndata: d\n\n"
    assert [(m.id, m.data) for m in decode_all(raw)] == [
        ("5", "a"),
        ("5", "b"),
        ("5", "c"),
        ("", "d"),
    ]


def test_retry_takes_digits_only_and_bom_is_dropped_once() -> None:
    decoder = SSEDecoder()
    out = decoder.feed(b"\xef\xbb")
    out += decoder.feed(b"\xbfretry: 2500\ndata: a\n\nretry: soon\ndata: \xef\xbb\xbfb\n\n")
    assert out == [
        ServerSentEvent(event="message", data="a", id="", retry=2500),
        ServerSentEvent(event="message", data="\ufeffb", id=""),
    ]
    assert decoder.retry == 2500


def test_a_half_received_message_is_never_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(frame(1) + frame(2)[:-1]) != []
    assert [m.id for m in decoder.feed(b"")] == []  # still waiting for the blank line
    assert [m.id for m in decoder.feed(b"\n")] == ["2"]


# -- reconnect policy --------------------------------------------------------------------------


def test_delays_grow_with_jitter_up_to_the_cap_and_stop_after_max_retries() -> None:
    policy = ReconnectPolicy(
        initial_delay=1.0,
        factor=2.0,
        max_delay=5.0,
        jitter=0.5,
        max_retries=6,
        rng=random.Random(7),
    )
    delays = list(policy.delays())
    caps = [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert len(delays) == 6
    for delay, cap in zip(delays, caps, strict=True):
        assert cap * 0.5 <= delay <= cap
    assert len(set(delays)) == 6  # jittered, not lock-step
    unjittered = ReconnectPolicy(initial_delay=0.1, factor=3, max_delay=1, jitter=0, max_retries=4)
    assert list(unjittered.delays()) == pytest.approx([0.1, 0.3, 0.9, 1.0])
    assert list(ReconnectPolicy(max_retries=0).delays()) == []


def test_classify_retries_network_and_server_trouble_only() -> None:
    policy = ReconnectPolicy()
    retry = [
        TransportError("reset"),
        RequestTimeoutError("idle"),
        StreamEndedError("closed"),
        ApiError(503, "not_ready", "x"),
        ApiError(502, "http_502", "bad gateway"),
        ApiError(429, "rate_limited", "slow down"),
    ]
    for exc in retry:
        assert policy.classify(exc) is None, exc
    fatal = [
        AuthenticationError(401, "unauthorized", "x"),
        NotFoundError(404, "not_found", "x"),
        ApiError(400, "bad_request", "x"),
        DecodingError("not an event stream"),
    ]
    for exc in fatal:
        assert policy.classify(exc) is exc
    custom = ReconnectPolicy(retryable=lambda exc: isinstance(exc, NotFoundError))
    assert custom.classify(NotFoundError(404, "not_found", "x")) is None
    assert isinstance(custom.classify(TransportError("x")), TransportError)


# -- follower ----------------------------------------------------------------------------------


def event_stream_response(status: int = 200, kind: str = "text/event-stream") -> httpx.Response:
    return httpx.Response(status, headers={"content-type": kind})


def test_follower_resumes_after_the_last_delivered_event_and_never_repeats() -> None:
    follower = EventFollower(None, ReconnectPolicy(initial_delay=0.25, jitter=0))
    assert "Last-Event-ID" not in follower.headers()
    assert follower.headers()["Accept"] == "text/event-stream"

    follower.connected(event_stream_response())
    events = follower.feed(frame(1) + b": ping\n\n" + frame(2) + frame(3)[:10])
    assert [e.id for e in events] == [1, 2]
    first = events[0]
    assert first.type == "transcript.turn"
    assert first.session_id == "ses_1"
    assert first.payload == {"n": 1}
    assert first.created_at == datetime.fromisoformat("2025-01-02T03:04:05.123456+00:00")
    for event in events:
        follower.delivered(event)
    with pytest.raises(StreamEndedError):
        follower.ended()
    assert follower.failed(TransportError("dropped")) == 0.25
    assert follower.headers()["Last-Event-ID"] == "2"

    # The server resends 2 (a buggy or racing server): it is skipped; the half-sent 3 comes whole.
    follower.connected(event_stream_response())
    events = follower.feed(frame(2) + frame(3) + frame(4))
    assert [e.id for e in events] == [3, 4]


def test_follower_backs_off_while_failing_and_starts_over_once_connected() -> None:
    policy = ReconnectPolicy(initial_delay=1, factor=2, max_delay=3, jitter=0, max_retries=3)
    follower = EventFollower(41, policy)
    assert follower.headers()["Last-Event-ID"] == "41"
    assert [follower.failed(TransportError("refused")) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(TransportError, match="refused again"):
        follower.failed(TransportError("refused again"))

    follower.connected(event_stream_response())
    assert follower.failed(TransportError("dropped")) == 1


def test_follower_honours_the_servers_retry_within_the_cap() -> None:
    follower = EventFollower(None, ReconnectPolicy(initial_delay=0.1, max_delay=2.0, jitter=0))
    follower.connected(event_stream_response())
    follower.feed(b"retry: 1500\n\n")
    assert follower.failed(TransportError("dropped")) == 1.5
    follower.feed(b"retry: 60000\n\n")
    assert follower.failed(TransportError("dropped")) == 2.0


def test_follower_raises_fatal_errors_and_rejects_non_streams() -> None:
    follower = EventFollower(None, ReconnectPolicy())
    missing = NotFoundError(404, "not_found", "no such session")
    with pytest.raises(NotFoundError) as caught:
        follower.failed(missing)
    assert caught.value is missing
    with pytest.raises(DecodingError, match="text/event-stream"):
        follower.connected(event_stream_response(kind="application/json"))
    follower.connected(event_stream_response(kind="text/event-stream; charset=utf-8"))
    with pytest.raises(DecodingError, match="not JSON"):
        follower.feed(b"id: 1\ndata: hello\n\n")
    with pytest.raises(DecodingError, match="event.id"):
        follower.feed(b'id: 1\ndata: {"type": "x"}\n\n')


def test_events_path_quotes_the_id() -> None:
    assert events_path("ses_1") == "/api/v1/sdk/sessions/ses_1/events"
    assert events_path("../x?y") == "/api/v1/sdk/sessions/..%2Fx%3Fy/events"
    with pytest.raises(ValueError):
        events_path("")
