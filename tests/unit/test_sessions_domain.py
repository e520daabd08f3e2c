"""Session rules: transitions and input normalisation (pure, no I/O)."""

from __future__ import annotations

import itertools

import pytest

from meetmind.domain.errors import IllegalTransitionError, InvalidInputError
from meetmind.domain.sessions import (
    MAX_WAKE_WORDS,
    Platform,
    SessionStatus,
    check_transition,
    normalize_agent_name,
    normalize_meeting_id,
    normalize_meeting_url,
    normalize_platform,
    normalize_wake_words,
)

S = SessionStatus
ALLOWED = {
    (S.CREATED, S.RTMS_START_REQUESTED),
    (S.CREATED, S.LISTENING),
    (S.CREATED, S.ENDED),
    (S.CREATED, S.FAILED),
    (S.RTMS_START_REQUESTED, S.LISTENING),
    (S.RTMS_START_REQUESTED, S.ENDED),
    (S.RTMS_START_REQUESTED, S.FAILED),
    (S.LISTENING, S.PAUSED),
    (S.LISTENING, S.ENDED),
    (S.LISTENING, S.FAILED),
    (S.PAUSED, S.LISTENING),
    (S.PAUSED, S.ENDED),
    (S.PAUSED, S.FAILED),
    (S.FAILED, S.RTMS_START_REQUESTED),
    (S.FAILED, S.LISTENING),
    (S.FAILED, S.ENDED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_transition_is_decided_by_the_table(current: S, target: S) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransitionError) as info:
            check_transition(current, target)
        assert info.value.details == {"from": current.value, "to": target.value}
        assert info.value.http_status == 409


def test_ended_is_terminal() -> None:
    for target in S:
        with pytest.raises(IllegalTransitionError):
            check_transition(S.ENDED, target)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("81234567890", "81234567890"),
        ("812 3456 7890", "81234567890"),
        ("812-345-678", "812345678"),
    ],
)
def test_meeting_ids_are_normalised(raw: str, expected: str) -> None:
    assert normalize_meeting_id(Platform.ZOOM, raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "12345678", "1234567890123", "abc123456789", "81234567890; --"]
)
def test_bad_meeting_ids_name_the_field(raw: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_meeting_id(Platform.ZOOM, raw)
    assert info.value.field == "meeting_id"


def test_platform_is_checked() -> None:
    assert normalize_platform(" Zoom ") is Platform.ZOOM
    with pytest.raises(InvalidInputError) as info:
        normalize_platform("teams")
    assert info.value.field == "platform"
    assert "zoom" in info.value.message


def test_meeting_url_must_match_the_meeting() -> None:
    url = "https://us05web.zoom.us/j/81234567890?pwd=abc"
    assert normalize_meeting_url(url, "81234567890") == url
    assert normalize_meeting_url(None, "81234567890") is None
    with pytest.raises(InvalidInputError, match="names meeting 81234567891"):
        normalize_meeting_url("https://zoom.us/j/81234567891", "81234567890")
    for bad in ["ftp://zoom.us/j/1", "zoom.us/j/81234567890", "javascript:alert(1)"]:
        with pytest.raises(InvalidInputError) as info:
            normalize_meeting_url(bad, "81234567890")
        assert info.value.field == "meeting_url"


def test_wake_words_are_cleaned_and_bounded() -> None:
    default = ["MeetMind"]
    assert normalize_wake_words(None, default) == ["MeetMind"]
    assert normalize_wake_words(["  Hey   Bot ", "hey bot", "Bot"], default) == ["Hey Bot", "Bot"]
    with pytest.raises(InvalidInputError) as info:
        normalize_wake_words(["w"] * (MAX_WAKE_WORDS + 1), default)
    assert info.value.field == "wake_words"
    with pytest.raises(InvalidInputError) as info:
        normalize_wake_words(["ok", "x" * 65], default)
    assert info.value.field == "wake_words[1]"
    with pytest.raises(InvalidInputError) as info:
        normalize_wake_words(["ok", "  ,, "], default)
    assert info.value.field == "wake_words[1]"


def test_agent_name() -> None:
    assert normalize_agent_name(None, "MeetMind") == "MeetMind"
    assert normalize_agent_name("  Note   Taker ", "MeetMind") == "Note Taker"
    with pytest.raises(InvalidInputError):
        normalize_agent_name("   ", "MeetMind")
    with pytest.raises(InvalidInputError):
        normalize_agent_name("x" * 65, "MeetMind")
