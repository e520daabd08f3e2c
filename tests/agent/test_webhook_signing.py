"""Standard Webhooks signing (pure)."""

from __future__ import annotations

import pytest

from meetmind.webhook_signing import (
    WebhookVerificationError,
    generate_secret,
    sign,
    signature_headers,
    verify,
)

# The test vector of the Standard Webhooks reference libraries.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reference_vector() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == SIGNATURE
    assert sign(SECRET.removeprefix("whsec_"), MSG_ID, TIMESTAMP, BODY) == SIGNATURE


def test_round_trip_with_case_insensitive_headers() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    headers = signature_headers(secret, "msg_1", 1_700_000_000, b"{}")
    upper = {k.upper(): v for k, v in headers.items()}
    assert verify(secret, upper, b"{}", now=1_700_000_100) == "msg_1"


def test_key_rotation_accepts_any_listed_signature_and_secret() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers(new, "msg_2", 100, b"x")
    headers["webhook-signature"] = (
        sign(old, "msg_2", 100, b"x") + " " + headers["webhook-signature"]
    )
    assert verify(new, headers, b"x", now=100) == "msg_2"
    assert verify([old, generate_secret()], headers, b"x", now=100) == "msg_2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": b'{"test": 1}'}, "no matching signature"),
        ({"now": TIMESTAMP + 301}, "outside the tolerance"),
        ({"now": TIMESTAMP - 301}, "outside the tolerance"),
        ({"drop": "webhook-id"}, "missing"),
        ({"set": ("webhook-timestamp", "soon")}, "not an integer"),
        ({"set": ("webhook-signature", "v1,AAAA")}, "no matching signature"),
        ({"secret": "whsec_not base64!"}, "base64"),
    ],
)
def test_rejections(change: dict[str, object], message: str) -> None:
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": SIGNATURE,
    }
    if "drop" in change:
        del headers[str(change["drop"])]
    if "set" in change:
        pair = change["set"]
        assert isinstance(pair, tuple)
        headers[str(pair[0])] = str(pair[1])
    body = change.get("body", BODY)
    now = change.get("now", TIMESTAMP)
    secret = change.get("secret", SECRET)
    with pytest.raises(WebhookVerificationError, match=message):
        verify(secret, headers, body, now=now)  # type: ignore[arg-type]


def test_bad_inputs_to_sign() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        sign(SECRET, "a.b", 1, b"")
    with pytest.raises(ValueError, match="empty"):
        sign("whsec_", "a", 1, b"")
