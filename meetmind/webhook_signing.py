"""Signing and verifying outgoing webhooks, Standard Webhooks style (pure functions).

MeetMind signs what it POSTs to applications (agent replies, and the outgoing event webhooks)
the way https://www.standardwebhooks.com/ describes, so receivers can use any of its
libraries:

* headers ``webhook-id`` (unique per message, the same on retries), ``webhook-timestamp``
  (Unix seconds) and ``webhook-signature``;
* the signature is ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), where
  ``key`` is the base64-decoded part of a ``whsec_<base64>`` secret; several space-separated
  signatures may be sent during a key rotation;
* a receiver rejects timestamps further than a tolerance (5 minutes) from its clock.

No clock or randomness is read here: the caller passes the time and the id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

__all__ = [
    "SECRET_PREFIX",
    "WebhookVerificationError",
    "generate_secret",
    "sign",
    "signature_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105  (a format prefix, not a secret)
"""Prefix of a Standard Webhooks secret."""

DEFAULT_TOLERANCE_SECONDS = 300
"""How far a timestamp may be from the receiver's clock."""


class WebhookVerificationError(ValueError):
    """A webhook's headers or signature do not check out (the message must be rejected)."""


def generate_secret(num_bytes: int = 24) -> str:
    """A new random secret, ``whsec_`` followed by base64.

    Args:
        num_bytes: Length of the key (24 to 64 bytes is the usual range).

    Returns:
        The secret.
    """
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(num_bytes)).decode()


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret must be 'whsec_' followed by base64") from exc
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message.

    Args:
        secret: ``whsec_<base64>`` (the prefix may be omitted).
        msg_id: The ``webhook-id``.
        timestamp: The ``webhook-timestamp``, Unix seconds.
        body: The exact bytes of the request body.

    Returns:
        The signature, e.g. ``"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="``.

    Raises:
        ValueError: If the secret is not valid base64 or the id contains a dot.
    """
    if "." in msg_id:
        raise ValueError("webhook-id must not contain '.'")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers to send with a body.

    Args:
        secret: ``whsec_<base64>``.
        msg_id: The message id (keep it across retries).
        timestamp: Unix seconds at the time of sending.
        body: The exact bytes of the request body.

    Returns:
        ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``.
    """
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str | list[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> str:
    """Check a received webhook.

    Args:
        secret: The secret, or several during a rotation (any may match).
        headers: The request headers; names are matched case-insensitively.
        body: The exact bytes of the request body.
        now: The receiver's time, Unix seconds.
        tolerance_seconds: Largest accepted distance between ``now`` and the timestamp.

    Returns:
        The ``webhook-id``, for de-duplication.

    Raises:
        WebhookVerificationError: If a header is missing or malformed, the timestamp is out of
            tolerance, or no signature matches.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not msg_id or not raw_timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    if abs(now - timestamp) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    secrets_ = [secret] if isinstance(secret, str) else secret
    try:
        expected = [sign(s, msg_id, timestamp, body) for s in secrets_]
    except ValueError as exc:
        raise WebhookVerificationError(str(exc)) from exc
    for candidate in signatures.split():
        if any(hmac.compare_digest(candidate, e) for e in expected):
            return msg_id
    raise WebhookVerificationError("no matching signature")
