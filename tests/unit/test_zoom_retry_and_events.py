"""Pure Zoom pieces: retry policy, PKCE and authorize URL, webhook event parsing."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetmind.zoom.events import (
    InvalidWebhookBodyError,
    RtmsStreamEventKind,
    app_deauthorized,
    parse_webhook,
    rtms_stream_event,
    stop_reason_name,
)
from meetmind.zoom.oauth import authorize_url, pkce_pair
from meetmind.zoom.retry import RetryPolicy, parse_retry_after, retry_delay


def test_backoff_is_capped_exponential_with_jitter() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        for _ in range(50):
            delay = policy.backoff(attempt, rng)
            assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_final(status: int) -> None:
    assert retry_delay(RetryPolicy(), status=status, attempt=1, retry_after=None) is None


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limits_and_server_errors_retry_until_attempts_run_out(status: int) -> None:
    policy = RetryPolicy(max_attempts=3)
    assert retry_delay(policy, status=status, attempt=1, retry_after=None) is not None
    assert retry_delay(policy, status=status, attempt=2, retry_after=None) is not None
    assert retry_delay(policy, status=status, attempt=3, retry_after=None) is None


def test_retry_after_is_honoured_within_bounds() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert retry_delay(policy, status=429, attempt=1, retry_after=2.0) == 2.0
    assert retry_delay(policy, status=429, attempt=1, retry_after=3600.0) is None


def test_retry_after_header_forms() -> None:
    assert parse_retry_after("5", 0) == 5.0
    assert parse_retry_after(None, 0) is None
    assert parse_retry_after("soon", 0) is None
    now = 1_700_000_000.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now) == pytest.approx(10.0)


def test_pkce_pair_is_s256() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert pkce_pair()[0] != verifier


def test_authorize_url_carries_state_and_challenge() -> None:
    url = authorize_url(
        "https://zoom.us",
        client_id="cid",
        redirect_uri="https://mm.example/api/v1/zoom/oauth/callback",
        state="s" * 43,
        code_challenge="c" * 43,
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == "/oauth/authorize"
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://mm.example/api/v1/zoom/oauth/callback",
        "state": "s" * 43,
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }


def body(event: str, payload: object, event_ts: object = 1732313171881) -> bytes:
    return json.dumps({"event": event, "event_ts": event_ts, "payload": payload}).encode()


def test_rtms_started_flat_payload() -> None:
    webhook = parse_webhook(
        body(
            "meeting.rtms_started",
            {
                "meeting_uuid": "4444AAAiAAAAAiAiAiiAii==",
                "operator_id": "op1",
                "rtms_stream_id": "609340fb2a7946909659956c8aa9250c",
                "server_urls": "wss://127.0.0.1:443",
                "meeting_id": 81234567890,
                "account_id": "acc1",
            },
        )
    )
    event = rtms_stream_event(webhook)
    assert event is not None
    assert event.kind is RtmsStreamEventKind.STARTED
    assert event.meeting_id == "81234567890"
    assert event.server_urls == "wss://127.0.0.1:443"
    assert event.event_ts == 1732313171881


def test_nested_object_payload_is_tolerated() -> None:
    nested = {"object": {"meeting_uuid": "u==", "rtms_stream_id": "s1", "stop_reason": 6}}
    event = rtms_stream_event(parse_webhook(body("meeting.rtms_stopped", nested)))
    assert event is not None
    assert event.kind is RtmsStreamEventKind.STOPPED
    assert event.stop_reason == 6
    assert stop_reason_name(6) == "STOP_BC_MEETING_ENDED (6)"
    assert stop_reason_name(99) == "stop reason 99"


def test_other_events_are_not_stream_events() -> None:
    assert rtms_stream_event(parse_webhook(body("meeting.started", {"object": {}}))) is None
    assert (
        rtms_stream_event(parse_webhook(body("meeting.rtms_started", {"meeting_uuid": "u"})))
        is None
    )
    deauth = app_deauthorized(parse_webhook(body("app_deauthorized", {"user_id": "z1"})))
    assert deauth is not None
    assert deauth.user_id == "z1"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{", "not_json"),
        (b"[]", "no_event"),
        (b'{"event": ""}', "no_event"),
        (b'{"event": "x", "payload": []}', "bad_payload"),
        (b"x" * (64 * 1024 + 1), "too_large"),
    ],
)
def test_bad_bodies_are_typed_errors(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidWebhookBodyError) as info:
        parse_webhook(raw)
    assert info.value.details["reason"] == reason
    assert info.value.http_status == 400


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash_the_parser(raw: bytes) -> None:
    try:
        webhook = parse_webhook(raw)
    except InvalidWebhookBodyError:
        return
    rtms_stream_event(webhook)
    app_deauthorized(webhook)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
        max_leaves=20,
    )
)
def test_arbitrary_json_payloads_never_crash(payload: object) -> None:
    for event in ["meeting.rtms_started", "meeting.rtms_stopped", "app_deauthorized"]:
        try:
            webhook = parse_webhook(body(event, payload))
        except InvalidWebhookBodyError:
            continue
        rtms_stream_event(webhook)
        app_deauthorized(webhook)
