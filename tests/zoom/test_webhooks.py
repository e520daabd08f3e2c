"""Zoom webhook signing, verification and URL validation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from meetmind.zoom.webhooks import (
    WebhookVerificationError,
    sign_webhook,
    url_validation_response,
    verify_webhook_signature,
)

SECRET = "whsec_test"
BODY = b'{"event":"meeting.rtms_started","event_ts":1732313171881,"payload":{"a":1}}'


def test_signature_is_hmac_over_v0_timestamp_body() -> None:
    expected = hmac.new(SECRET.encode(), b"v0:1700000000:" + BODY, hashlib.sha256).hexdigest()
    assert sign_webhook(SECRET, 1700000000, BODY) == "v0=" + expected
    assert sign_webhook(SECRET, "1700000000", BODY) == "v0=" + expected


def test_verify_accepts_a_fresh_correct_signature() -> None:
    sig = sign_webhook(SECRET, 1700000000, BODY)
    verify_webhook_signature(SECRET, "1700000000", sig, BODY, now=1700000100)


@pytest.mark.parametrize(
    ("ts", "sig", "body", "now", "reason"),
    [
        (None, "v0=x", BODY, 1700000000, "missing_headers"),
        ("1700000000", None, BODY, 1700000000, "missing_headers"),
        ("soon", "v0=x", BODY, 1700000000, "bad_timestamp"),
        ("1700000000", "GOOD", BODY, 1700000301, "stale_timestamp"),
        ("1700000000", "GOOD", BODY, 1699999699, "stale_timestamp"),
        ("1700000000", "GOOD", BODY + b" ", 1700000000, "bad_signature"),
        ("1700000000", "v0=deadbeef", BODY, 1700000000, "bad_signature"),
        ("1700000000", "v0=ünïcode", BODY, 1700000000, "bad_signature"),
    ],
)
def test_verify_rejects(
    ts: str | None, sig: str | None, body: bytes, now: float, reason: str
) -> None:
    if sig == "GOOD":
        sig = sign_webhook(SECRET, "1700000000", BODY)
    with pytest.raises(WebhookVerificationError) as info:
        verify_webhook_signature(SECRET, ts, sig, body, now=now)
    assert info.value.reason == reason
    assert info.value.http_status == 401


def test_wrong_secret_is_rejected() -> None:
    sig = sign_webhook("other", 1700000000, BODY)
    with pytest.raises(WebhookVerificationError):
        verify_webhook_signature(SECRET, "1700000000", sig, BODY, now=1700000000)


def test_url_validation_response() -> None:
    resp = url_validation_response(SECRET, "qgg8vlvZRS6UYooatFL8Aw")
    assert resp == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": hmac.new(
            SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
        ).hexdigest(),
    }
