"""Zoom webhook signing and verification, pure (shared by the simulator and the receiver).

Zoom signs each notification with the app's *webhook secret token* (not the OAuth client
secret)::

    x-zm-request-timestamp: <unix seconds>
    x-zm-signature: v0=hex(HMAC_SHA256(secret_token, "v0:{timestamp}:{raw body}"))

The raw body bytes must be used: re-serialised JSON does not match.
"""

from __future__ import annotations

import hashlib
import hmac

from meetmind.domain.errors import AuthenticationError

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "URL_VALIDATION_EVENT",
    "WebhookVerificationError",
    "sign_webhook",
    "url_validation_response",
    "verify_webhook_signature",
]

SIGNATURE_HEADER = "x-zm-signature"
"""Header carrying ``v0=<hex>``."""
TIMESTAMP_HEADER = "x-zm-request-timestamp"
"""Header carrying the signing time in unix seconds."""
URL_VALIDATION_EVENT = "endpoint.url_validation"
"""Event name of Zoom's endpoint challenge."""


class WebhookVerificationError(AuthenticationError):
    """A webhook request is not provably from Zoom (missing, stale or wrong signature)."""

    code = "invalid_webhook_signature"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, details={"reason": reason})
        self.reason = reason


def sign_webhook(secret_token: str, timestamp: str | int, raw_body: bytes) -> str:
    """The ``x-zm-signature`` value for a request.

    Args:
        secret_token: The app's webhook secret token.
        timestamp: The ``x-zm-request-timestamp`` value (unix seconds).
        raw_body: The exact request body bytes.

    Returns:
        ``"v0=" + lowercase hex HMAC-SHA256``.
    """
    message = b"v0:" + str(timestamp).encode() + b":" + raw_body
    return "v0=" + hmac.new(secret_token.encode(), message, hashlib.sha256).hexdigest()


def verify_webhook_signature(
    secret_token: str,
    timestamp_header: str | None,
    signature_header: str | None,
    raw_body: bytes,
    now: float,
    tolerance_s: float = 300,
) -> None:
    """Check a webhook's signature and freshness.

    Args:
        secret_token: The app's webhook secret token.
        timestamp_header: The ``x-zm-request-timestamp`` header value.
        signature_header: The ``x-zm-signature`` header value.
        raw_body: The exact request body bytes.
        now: The current unix time in seconds (injected, so tests control it).
        tolerance_s: Maximum allowed clock difference (Zoom's sample uses 300 s).

    Raises:
        WebhookVerificationError: A header is missing or malformed, the timestamp is outside the
            tolerance, or the signature does not match (compared in constant time).
    """
    if not timestamp_header or not signature_header:
        raise WebhookVerificationError("missing Zoom signature headers", reason="missing_headers")
    try:
        timestamp = int(timestamp_header.strip())
    except ValueError:
        raise WebhookVerificationError(
            "malformed x-zm-request-timestamp", reason="bad_timestamp"
        ) from None
    if abs(now - timestamp) > tolerance_s:
        raise WebhookVerificationError(
            "webhook timestamp outside the allowed window", reason="stale_timestamp"
        )
    expected = sign_webhook(secret_token, timestamp_header.strip(), raw_body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise WebhookVerificationError("webhook signature mismatch", reason="bad_signature")


def url_validation_response(secret_token: str, plain_token: str) -> dict[str, str]:
    """The JSON answer to an ``endpoint.url_validation`` challenge.

    Returns:
        ``{"plainToken": ..., "encryptedToken": hex HMAC-SHA256(secret_token, plainToken)}``.
    """
    encrypted = hmac.new(secret_token.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}
