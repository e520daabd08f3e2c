"""The RTMS client's decisions, without a loop or a socket."""

from __future__ import annotations

import random

import pytest

from meetmind.domain.events import (
    ActiveSpeakerChanged,
    AudioReceived,
    ChatReceived,
    ParticipantsChanged,
    StreamPhase,
    StreamStateChanged,
    TranscriptReceived,
)
from meetmind.zoom.rtms.policy import (
    Backoff,
    HandshakeVerdict,
    classify_handshake_status,
    signaling_directive,
    to_stream_event,
)
from meetmind.zoom.rtms.protocol import decode


@pytest.mark.parametrize(
    ("status", "reconnecting", "verdict"),
    [
        (8, False, HandshakeVerdict.RETRY),  # duplicate signaling connection
        (16, False, HandshakeVerdict.RETRY),  # duplicate media connection
        (45, False, HandshakeVerdict.RETRY),  # internal exception
        (12, False, HandshakeVerdict.SKIP_MEDIA),  # transcript not allowed by scopes
        (3, False, HandshakeVerdict.FATAL),  # bad signature
        (2, False, HandshakeVerdict.FATAL),  # unknown stream at first join
        (2, True, HandshakeVerdict.AWAIT_FAILOVER),  # unknown to the old node after failover
        (3, True, HandshakeVerdict.FATAL),
    ],
)
def test_handshake_verdicts(status: int, reconnecting: bool, verdict: HandshakeVerdict) -> None:
    assert classify_handshake_status(status, reconnecting=reconnecting) is verdict


@pytest.mark.parametrize(
    ("frame", "reconnect_media", "terminate"),
    [
        ('{"msg_type":6,"event":{"event_type":7,"timestamp":1}}', True, None),
        ('{"msg_type":8,"state":2,"reason":14,"timestamp":1}', True, None),
        ('{"msg_type":8,"state":2,"reason":13,"timestamp":1}', False, None),
        ('{"msg_type":8,"state":4,"reason":6,"timestamp":1}', False, 6),
        ('{"msg_type":8,"state":4,"stop_reason":24,"timestamp":1}', False, 24),
        ('{"msg_type":6,"event":{"event_type":2,"user_id":1,"user_name":"A"}}', False, None),
    ],
)
def test_signaling_directives(frame: str, reconnect_media: bool, terminate: int | None) -> None:
    directive = signaling_directive(decode(frame))
    assert directive.reconnect_media is reconnect_media
    assert directive.terminate == terminate


def test_media_messages_become_events() -> None:
    turn = to_stream_event(
        decode(
            '{"msg_type":17,"content":{"user_id":16778240,"user_name":"Alice","timestamp":5,'
            '"start_time":5,"end_time":9,"language":9,"data":"Hello"}}'
        )
    )
    assert turn == TranscriptReceived("Hello", 5, 9, "16778240", "Alice", "en")
    audio = to_stream_event(
        decode('{"msg_type":14,"content":{"user_id":0,"user_name":"","timestamp":7,"data":"AAE="}}')
    )
    assert audio == AudioReceived(b"\x00\x01", 7, "0", None)
    chat = to_stream_event(decode('{"msg_type":18,"content":{"timestamp":3,"data":"hi"}}'))
    assert chat == ChatReceived("hi", 3)
    joined = to_stream_event(
        decode(
            '{"msg_type":6,"event":{"event_type":3,"timestamp":1,'
            '"participants":[{"user_id":"42","user_name":"Bo"}]}}'
        )
    )
    assert joined == ParticipantsChanged(True, (("42", "Bo"),), 1)
    speaker = to_stream_event(
        decode('{"msg_type":6,"event":{"event_type":2,"user_id":42,"user_name":"Bo"}}')
    )
    assert speaker == ActiveSpeakerChanged("42", "Bo", None)
    paused = to_stream_event(decode('{"msg_type":8,"state":5,"timestamp":1}'))
    assert paused == StreamStateChanged(StreamPhase.PAUSED)
    assert to_stream_event(decode('{"msg_type":12,"timestamp":1}')) is None


def test_a_transcript_without_times_is_not_an_event() -> None:
    assert to_stream_event(decode('{"msg_type":17,"content":{"data":"no times"}}')) is None


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    backoff = Backoff(3.0, 30.0, rng=random.Random(1))
    delays = [backoff.next() for _ in range(6)]
    for delay, nominal in zip(delays, [3, 6, 12, 24, 30, 30], strict=True):
        assert 0.8 * nominal <= delay <= nominal
    backoff.reset()
    assert backoff.next() <= 3.0
