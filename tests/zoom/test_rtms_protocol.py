"""The pure RTMS protocol: decode/encode round trips, tolerance, errors, signature."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetmind.zoom.rtms import protocol as p
from meetmind.zoom.rtms.protocol import MessageType, StatusCode

ints = st.integers(min_value=-(2**53), max_value=2**53)
small = st.integers(min_value=-5, max_value=100)
text = st.text(max_size=20)
opt = st.none
user_ids = st.one_of(st.integers(min_value=0, max_value=2**32), text)


def _opt(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


audio_params = st.builds(
    p.AudioParams, _opt(small), _opt(small), _opt(small), _opt(small), _opt(small), _opt(small)
)
video_params = st.builds(
    p.VideoParams, _opt(small), _opt(small), _opt(small), _opt(small), _opt(small)
)
share_params = st.builds(p.DeskshareParams, _opt(small), _opt(small), _opt(small), _opt(small))
transcript_params = st.builds(p.TranscriptParams, _opt(small), _opt(small), _opt(st.booleans()))
chat_params = st.builds(p.ChatParams, _opt(small))
media_params = st.builds(
    p.MediaParams,
    _opt(audio_params),
    _opt(video_params),
    _opt(share_params),
    _opt(transcript_params),
    _opt(chat_params),
)
participants = st.lists(st.builds(p.Participant, user_ids, _opt(text)), max_size=4).map(tuple)
json_values = st.recursive(
    st.none() | st.booleans() | ints | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)

messages: st.SearchStrategy[p.Message] = st.one_of(
    st.builds(
        p.SignalingHandshakeRequest, text, text, text, ints, ints, _opt(st.booleans()), _opt(text)
    ),
    st.builds(
        p.SignalingHandshakeResponse,
        ints,
        text,
        _opt(st.dictionaries(text, text, max_size=6)),
        ints,
        ints,
    ),
    st.builds(
        p.DataHandshakeRequest,
        text,
        text,
        text,
        ints,
        _opt(media_params),
        _opt(st.booleans()),
        ints,
        ints,
        _opt(text),
    ),
    st.builds(p.DataHandshakeResponse, ints, text, _opt(media_params), st.booleans(), ints, ints),
    st.builds(
        p.EventSubscription,
        st.lists(st.builds(p.Subscription, ints, st.booleans()), max_size=5).map(tuple),
    ),
    st.builds(
        p.EventUpdate,
        st.builds(p.RtmsEvent, ints, _opt(ints), _opt(user_ids), _opt(text), _opt(participants)),
    ),
    st.builds(p.ClientReadyAck, text),
    st.builds(p.StreamStateUpdate, ints, _opt(ints), _opt(ints), _opt(text)),
    st.builds(p.SessionStateUpdate, ints, _opt(text), _opt(ints), _opt(ints)),
    st.builds(p.SessionStateRequest, text),
    st.builds(p.SessionStateResponse, text, ints, _opt(ints), _opt(ints)),
    st.builds(p.KeepAliveRequest, ints, _opt(ints)),
    st.builds(p.KeepAliveResponse, ints, _opt(ints)),
    st.builds(
        p.MediaDataAudio,
        st.binary(max_size=64),
        ints,
        _opt(user_ids),
        _opt(text),
        _opt(ints),
        _opt(user_ids),
    ),
    st.builds(
        p.MediaDataVideo, st.binary(max_size=64), ints, _opt(user_ids), _opt(text), _opt(ints)
    ),
    st.builds(
        p.MediaDataShare, st.binary(max_size=64), ints, _opt(user_ids), _opt(text), _opt(ints)
    ),
    st.builds(
        p.MediaDataTranscript,
        text,
        _opt(ints),
        _opt(user_ids),
        _opt(text),
        _opt(ints),
        _opt(ints),
        _opt(ints),
        _opt(user_ids),
    ),
    st.builds(p.MediaDataChat, text, _opt(ints), _opt(user_ids), _opt(text), _opt(user_ids)),
    st.builds(p.StreamStateRequest, text),
    st.builds(p.StreamStateResponse, text, ints, _opt(ints), _opt(ints)),
    st.builds(p.StreamCloseRequest, text),
    st.builds(p.StreamCloseResponse, text, ints, text, _opt(ints)),
    st.builds(
        p.MetaData,
        st.sampled_from(
            [
                MessageType.META_DATA_AUDIO,
                MessageType.META_DATA_VIDEO,
                MessageType.META_DATA_SHARE,
                MessageType.META_DATA_TRANSCRIPT,
                MessageType.META_DATA_CHAT,
            ]
        ),
        json_values,
    ),
    st.builds(p.VideoSubscriptionRequest, user_ids, st.booleans(), _opt(ints)),
    st.builds(p.VideoSubscriptionResponse, user_ids, ints, text, _opt(ints)),
)


@settings(max_examples=400)
@given(messages)
def test_decode_inverts_encode(msg: p.Message) -> None:
    assert p.decode(p.encode(msg)) == msg
    assert p.decode(p.encode(msg).encode()) == msg


@settings(max_examples=100)
@given(messages)
def test_decode_accepts_the_official_clients_tab_indented_binary_frames(msg: p.Message) -> None:
    frame = (json.dumps(json.loads(p.encode(msg)), indent="\t", sort_keys=True) + "\n").encode()
    assert p.decode(frame) == msg


def _decode_checked(frame: str | bytes) -> None:
    """Decode must either raise ProtocolError or give a message that survives a round trip."""
    try:
        msg = p.decode(frame)
    except p.ProtocolError as exc:
        assert isinstance(exc.status_code, StatusCode)
        return
    assert p.decode(p.encode(msg)) == msg


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_protocol_error(data: bytes) -> None:
    _decode_checked(data)


@settings(max_examples=500)
@given(json_values)
def test_arbitrary_json_raises_only_protocol_error(value: Any) -> None:
    _decode_checked(json.dumps(value))


field_values = st.one_of(json_values, st.floats(allow_nan=False))


@settings(max_examples=800)
@given(
    st.integers(min_value=-1, max_value=31),
    st.dictionaries(
        st.sampled_from(
            [
                "meeting_uuid",
                "rtms_stream_id",
                "signature",
                "media_type",
                "media_params",
                "status_code",
                "reason",
                "media_server",
                "events",
                "event",
                "state",
                "timestamp",
                "sequence",
                "content",
                "user_id",
                "subscribe",
                "rtms_session_id",
                "stop_reason",
                "payload_encrypted",
                "buffer_data",
                "protocol_version",
            ]
        ),
        field_values,
        max_size=8,
    ),
)
def test_arbitrary_fields_for_every_type_raise_only_protocol_error(
    msg_type: int, fields: dict[str, Any]
) -> None:
    _decode_checked(json.dumps({"msg_type": msg_type, **fields}))


def test_deep_nesting_is_a_protocol_error() -> None:
    with pytest.raises(p.MalformedFrameError):
        p.decode("[" * 100_000 + "]" * 100_000)


def test_huge_integer_is_a_protocol_error() -> None:
    with pytest.raises(p.ProtocolError):
        p.decode('{"msg_type": 12, "timestamp": ' + "9" * 5000 + "}")


@pytest.mark.parametrize("frame", [b"\xff\xfe", "not json", "[1,2]", "42", '"x"', "null"])
def test_malformed_frames(frame: str | bytes) -> None:
    with pytest.raises(p.MalformedFrameError):
        p.decode(frame)


@pytest.mark.parametrize("msg_type", [0, 30, 99, -1, "1", 1.5, True])
def test_unknown_message_types_are_reported_as_such(msg_type: object) -> None:
    with pytest.raises(p.UnknownMessageTypeError) as info:
        p.decode(json.dumps({"msg_type": msg_type}))
    assert info.value.msg_type == msg_type
    assert info.value.status_code == StatusCode.INVALID_MESSAGE_TYPE


def test_missing_msg_type() -> None:
    with pytest.raises(p.InvalidFieldError) as info:
        p.decode("{}")
    assert info.value.field == "msg_type"


def test_bad_fields_name_the_field() -> None:
    with pytest.raises(p.InvalidFieldError) as info:
        p.decode('{"msg_type": 1, "meeting_uuid": "m", "rtms_stream_id": 5, "signature": "s"}')
    assert info.value.field == "rtms_stream_id"
    with pytest.raises(p.InvalidFieldError) as info:
        p.decode('{"msg_type": 14, "content": {"timestamp": 1, "data": "!!notb64"}}')
    assert info.value.field == "content.data"
    with pytest.raises(p.InvalidFieldError) as info:
        p.decode('{"msg_type": 12, "timestamp": true}')
    assert info.value.field == "timestamp"


def test_media_param_type_errors_carry_the_documented_status() -> None:
    base = {"msg_type": 3, "meeting_uuid": "m", "rtms_stream_id": "s", "signature": "x"}
    cases = [
        ({"media_type": "audio"}, StatusCode.INVALID_MEDIA_TYPE),
        ({"media_type": 1, "media_params": 5}, StatusCode.INVALID_MEDIA_PARAMS),
        ({"media_type": 1, "media_params": {"audio": []}}, StatusCode.INVALID_MEDIA_AUDIO_PARAMS),
        (
            {"media_type": 1, "media_params": {"audio": {"sample_rate": "16k"}}},
            StatusCode.INVALID_MEDIA_AUDIO_SAMPLE_RATE,
        ),
        (
            {"media_type": 8, "media_params": {"transcript": {"src_language": "en"}}},
            StatusCode.INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
        ),
    ]
    for extra, status in cases:
        with pytest.raises(p.InvalidFieldError) as info:
            p.decode(json.dumps({**base, **extra}))
        assert info.value.status_code == status, extra


def test_unknown_fields_are_ignored_and_user_id_may_be_string() -> None:
    msg = p.decode(
        json.dumps(
            {
                "msg_type": 6,
                "extra": {"x": 1},
                "event": {
                    "event_type": 3,
                    "timestamp": 5,
                    "participants": [{"user_id": "abc", "user_name": "A", "role": "host"}],
                },
            }
        )
    )
    assert msg == p.EventUpdate(p.RtmsEvent(3, 5, participants=(p.Participant("abc", "A"),)))


def test_reason_and_stop_reason_spellings() -> None:
    assert p.decode('{"msg_type":8,"state":4,"stop_reason":6}') == p.StreamStateUpdate(4, 6)
    assert p.decode('{"msg_type":8,"state":4,"reason":6}') == p.StreamStateUpdate(4, 6)
    assert p.decode('{"msg_type":9,"state":5,"stop_reason":2}').reason == 2  # type: ignore[union-attr]
    wire = json.loads(p.encode(p.SessionStateUpdate(5, "s", 2, 10)))
    assert wire["reason"] == wire["stop_reason"] == 2


def test_data_handshake_response_always_has_the_keys_the_official_client_needs() -> None:
    wire = json.loads(p.encode(p.DataHandshakeResponse(0)))
    assert wire["payload_encrypted"] is False
    assert "media_params" in wire and wire["media_params"] is None
    # The documented alternative spelling is accepted on decode.
    resp = p.decode('{"msg_type":4,"status_code":0,"payload_encryption":true}')
    assert isinstance(resp, p.DataHandshakeResponse) and resp.payload_encrypted is True


def test_audio_is_base64_on_the_wire_and_bytes_in_the_message() -> None:
    msg = p.MediaDataAudio(bytes(range(4)), 1000, 0, "", 4)
    wire = json.loads(p.encode(msg))
    assert wire == {
        "msg_type": 14,
        "content": {
            "user_id": 0,
            "user_name": "",
            "data": "AAECAw==",
            "length": 4,
            "timestamp": 1000,
        },
    }


def test_transcript_wire_shape_matches_zoom() -> None:
    msg = p.MediaDataTranscript("Hello", 3, 16778240, "Alice", 1, 3, 9)
    assert json.loads(p.encode(msg)) == {
        "msg_type": 17,
        "content": {
            "user_id": 16778240,
            "user_name": "Alice",
            "timestamp": 3,
            "start_time": 1,
            "end_time": 3,
            "language": 9,
            "data": "Hello",
        },
    }


def test_keep_alive_answer_echoes_timestamp_and_sequence() -> None:
    req = p.decode('{"msg_type": 12, "timestamp": 1795579592407, "sequence": 1}')
    assert isinstance(req, p.KeepAliveRequest)
    assert p.encode(req.answer()) == '{"msg_type":13,"timestamp":1795579592407,"sequence":1}'


def test_handshake_signature_matches_the_official_clients_value() -> None:
    # Reference Part B 3.1: reproduced from Zoom's official client on the wire.
    sig = p.handshake_signature(
        "test_client_id", "test_client_secret", "mtg-uuid-123==", "stream-abc-456"
    )
    assert sig == "c03620d91b93405cfd87869566bc65cd73635620a1cc3aa75a5068a6ae65dc13"
    assert p.verify_handshake_signature(
        sig.upper(), "test_client_id", "test_client_secret", "mtg-uuid-123==", "stream-abc-456"
    )
    assert not p.verify_handshake_signature(
        sig, "test_client_id", "other", "mtg-uuid-123==", "stream-abc-456"
    )


def test_status_code_table_is_complete() -> None:
    assert [int(c) for c in StatusCode] == list(range(46))
    assert StatusCode(43).name == "INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE"
    assert [int(m) for m in MessageType] == list(range(30))
    assert int(p.StopReason.STOP_BC_KEEP_ALIVE_TIMEOUT) == 24
    assert int(p.StreamState.RESUMED) == 6
    assert int(p.TranscriptLanguage.ENGLISH) == 9


def test_media_socket_message_split() -> None:
    assert MessageType.MEDIA_DATA_TRANSCRIPT in p.MEDIA_MESSAGE_TYPES
    assert MessageType.CLIENT_READY_ACK not in p.MEDIA_MESSAGE_TYPES
