"""Zoom webhook bodies as typed events. Pure: bytes in, dataclasses or a typed error out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from meetmind.domain.errors import MeetMindError
from meetmind.zoom.rtms.enums import StopReason

__all__ = [
    "FAILURE_STOP_REASONS",
    "MAX_WEBHOOK_BODY",
    "AppDeauthorized",
    "InvalidWebhookBodyError",
    "RtmsStreamEvent",
    "RtmsStreamEventKind",
    "ZoomWebhook",
    "app_deauthorized",
    "parse_webhook",
    "rtms_stream_event",
    "stop_reason_name",
]

MAX_WEBHOOK_BODY = 64 * 1024
"""Largest body accepted (Zoom's RTMS events are well under 2 KiB)."""

FAILURE_STOP_REASONS = frozenset(range(10, 20)) | {24}
"""Stop reasons that mean the stream broke (Zoom's failover table), not that it was ended."""


class InvalidWebhookBodyError(MeetMindError):
    """The body is too large, not JSON, or not a Zoom event envelope."""

    code = "invalid_webhook_body"
    http_status = 400


class RtmsStreamEventKind(StrEnum):
    """The RTMS webhooks that drive a stream."""

    STARTED = "rtms_started"
    STOPPED = "rtms_stopped"
    INTERRUPTED = "rtms_interrupted"


@dataclass(frozen=True)
class ZoomWebhook:
    """A Zoom event envelope: ``{"event", "event_ts", "payload"}``."""

    event: str
    event_ts: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class RtmsStreamEvent:
    """``meeting|webinar.rtms_started|stopped|interrupted``."""

    kind: RtmsStreamEventKind
    meeting_uuid: str
    rtms_stream_id: str
    server_urls: str | None
    meeting_id: str | None
    account_id: str | None
    operator_id: str | None
    stop_reason: int | None
    event_ts: int | None


@dataclass(frozen=True)
class AppDeauthorized:
    """A Zoom user removed the app: their tokens must go."""

    user_id: str | None
    account_id: str | None


def parse_webhook(raw_body: bytes) -> ZoomWebhook:
    """Parse and shape-check a webhook body."""
    if len(raw_body) > MAX_WEBHOOK_BODY:
        raise InvalidWebhookBodyError(
            f"webhook body is larger than {MAX_WEBHOOK_BODY} bytes",
            details={"reason": "too_large"},
        )
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidWebhookBodyError(
            "webhook body is not JSON", details={"reason": "not_json"}
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str) or not data["event"]:
        raise InvalidWebhookBodyError(
            "webhook body has no `event` name", details={"reason": "no_event"}
        )
    payload = data.get("payload", {})
    if not isinstance(payload, dict):
        raise InvalidWebhookBodyError(
            "webhook `payload` is not an object", details={"reason": "bad_payload"}
        )
    event_ts = data.get("event_ts")
    return ZoomWebhook(
        event=data["event"],
        event_ts=event_ts if isinstance(event_ts, int) and not isinstance(event_ts, bool) else None,
        payload=payload,
    )


def _text(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value):
        return str(value)
    return None


def _flat(payload: dict[str, Any]) -> dict[str, Any]:
    """Zoom's RTMS payloads are flat; some docs nest them under ``object``: accept both."""
    nested = payload.get("object")
    if isinstance(nested, dict) and "rtms_stream_id" not in payload:
        return {**payload, **nested}
    return payload


def rtms_stream_event(webhook: ZoomWebhook) -> RtmsStreamEvent | None:
    """The RTMS stream event in a webhook, or None if it is not one (or lacks the ids)."""
    scope, _, name = webhook.event.partition(".")
    if scope not in {"meeting", "webinar"}:
        return None
    try:
        kind = RtmsStreamEventKind(name)
    except ValueError:
        return None
    payload = _flat(webhook.payload)
    meeting_uuid = _text(payload, "meeting_uuid") or _text(payload, "webinar_uuid")
    stream_id = _text(payload, "rtms_stream_id")
    if not meeting_uuid or not stream_id:
        return None
    reason = payload.get("stop_reason")
    return RtmsStreamEvent(
        kind=kind,
        meeting_uuid=meeting_uuid,
        rtms_stream_id=stream_id,
        server_urls=_text(payload, "server_urls"),
        meeting_id=_text(payload, "meeting_id") or _text(payload, "webinar_id"),
        account_id=_text(payload, "account_id"),
        operator_id=_text(payload, "operator_id"),
        stop_reason=reason if isinstance(reason, int) and not isinstance(reason, bool) else None,
        event_ts=webhook.event_ts,
    )


def app_deauthorized(webhook: ZoomWebhook) -> AppDeauthorized | None:
    """The ``app_deauthorized`` event, if that is what this is."""
    if webhook.event != "app_deauthorized":
        return None
    payload = _flat(webhook.payload)
    return AppDeauthorized(
        user_id=_text(payload, "user_id"), account_id=_text(payload, "account_id")
    )


def stop_reason_name(reason: int | None) -> str:
    """``STOP_BC_MEETING_ENDED (6)`` style text for a stop reason."""
    if reason is None:
        return "unknown"
    try:
        return f"{StopReason(reason).name} ({reason})"
    except ValueError:
        return f"stop reason {reason}"
