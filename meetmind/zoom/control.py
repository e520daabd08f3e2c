"""Zoom's REST API as MeetMind uses it: who am I, and RTMS start/stop/pause/resume."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx

from meetmind.clock import Clock
from meetmind.domain.errors import (
    RtmsNotAllowedError,
    RtmsUnavailableError,
    ZoomError,
    ZoomMeetingNotLiveError,
    ZoomRateLimitedError,
    ZoomRequestRejectedError,
    ZoomUnavailableError,
)
from meetmind.zoom.http import map_transport_errors, zoom_error_body
from meetmind.zoom.retry import RetryPolicy, parse_retry_after, retry_delay

__all__ = [
    "AccessTokenRejectedError",
    "RtmsAction",
    "RtmsControlResult",
    "ZoomApiClient",
    "ZoomUser",
    "error_for_response",
]

log = logging.getLogger(__name__)


class RtmsAction(StrEnum):
    """What ``PATCH /live_meetings/{id}/rtms_app/status`` can do."""

    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"


class AccessTokenRejectedError(ZoomError):
    """Zoom answered 401 (code 124): the caller refreshes the token once and retries."""

    code = "zoom_access_token_rejected"
    http_status = 502


@dataclass(frozen=True)
class ZoomUser:
    """The Zoom user a token belongs to."""

    id: str
    account_id: str | None
    email: str | None


@dataclass(frozen=True)
class RtmsControlResult:
    """Zoom's answer to an RTMS status change."""

    action: RtmsAction
    status_code: int
    attempts: int
    tracking_id: str | None


def error_for_response(response: httpx.Response, what: str) -> ZoomError:
    """The domain error for a non-2xx Zoom REST answer."""
    body = zoom_error_body(response)
    status = response.status_code
    code = body.get("code") if isinstance(body.get("code"), int) else None
    message = str(body.get("message") or f"HTTP {status}")
    kwargs: dict[str, Any] = {"zoom_status": status, "zoom_code": code}
    if status == 401 or code == 124:
        return AccessTokenRejectedError(f"Zoom rejected the access token: {message}", **kwargs)
    if code == 2308:
        return RtmsNotAllowedError(f"Zoom does not allow {what}: {message}", **kwargs)
    if code == 2310:
        return RtmsUnavailableError(f"Zoom cannot run RTMS for this account: {message}", **kwargs)
    if code == 3001 or status == 404:
        return ZoomMeetingNotLiveError(
            f"Zoom says the meeting does not exist or is not live: {message}", **kwargs
        )
    if status == 429:
        return ZoomRateLimitedError(f"Zoom rate-limited {what}: {message}", **kwargs)
    if status >= 500:
        return ZoomUnavailableError(f"Zoom failed {what}: {message}", **kwargs)
    return ZoomRequestRejectedError(f"Zoom rejected {what}: {message}", **kwargs)


class ZoomApiClient:
    """REST calls with an access token; 429 and 5xx are retried with capped backoff."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        clock: Clock,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._rng = rng

    async def me(self, access_token: str) -> ZoomUser:
        """``GET /users/me``."""
        response, _ = await self._send("GET", "/users/me", access_token, None, "reading the user")
        body = zoom_error_body(response)
        user_id = body.get("id")
        if not isinstance(user_id, str) or not user_id:
            raise ZoomUnavailableError("Zoom's /users/me answer has no id")
        account = body.get("account_id")
        email = body.get("email")
        return ZoomUser(
            id=user_id,
            account_id=account if isinstance(account, str) else None,
            email=email if isinstance(email, str) else None,
        )

    async def update_rtms_status(
        self,
        access_token: str,
        *,
        meeting_id: str,
        action: RtmsAction,
        client_id: str,
        participant_user_id: str | None = None,
    ) -> RtmsControlResult:
        """``PATCH /live_meetings/{meetingId}/rtms_app/status``; any 2xx is success."""
        settings: dict[str, str] = {"client_id": client_id}
        if participant_user_id:
            settings["participant_user_id"] = participant_user_id
        path = f"/live_meetings/{quote(meeting_id, safe='')}/rtms_app/status"
        response, attempts = await self._send(
            "PATCH",
            path,
            access_token,
            {"action": action.value, "settings": settings},
            f"RTMS {action.value}",
        )
        return RtmsControlResult(
            action=action,
            status_code=response.status_code,
            attempts=attempts,
            tracking_id=response.headers.get("x-zm-trackingid"),
        )

    async def _send(
        self,
        method: str,
        path: str,
        access_token: str,
        json_body: dict[str, Any] | None,
        what: str,
    ) -> tuple[httpx.Response, int]:
        attempt = 0
        while True:
            attempt += 1
            with map_transport_errors(what):
                response = await self._http.request(
                    method,
                    self._base_url + path,
                    json=json_body,
                    headers={"Authorization": f"Bearer {access_token}"},
                )
            if response.is_success:
                return response, attempt
            retry_after = parse_retry_after(
                response.headers.get("retry-after"), self._clock.now().timestamp()
            )
            delay = retry_delay(
                self._policy,
                status=response.status_code,
                attempt=attempt,
                retry_after=retry_after,
                rng=self._rng,
            )
            if delay is None:
                raise error_for_response(response, what)
            log.info(
                "Zoom answered %s to %s; retry %d in %.2fs",
                response.status_code,
                what,
                attempt,
                delay,
            )
            await self._clock.sleep(delay)
