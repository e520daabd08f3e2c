"""Zoom's webhook sender: signed envelopes, URL validation, retries, injectable duplicates."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx

from meetmind.sim.context import SimContext
from meetmind.zoom.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    URL_VALIDATION_EVENT,
    sign_webhook,
    url_validation_response,
)

__all__ = ["WebhookSender"]


class WebhookSender:
    """Delivers Zoom-shaped webhook notifications to the registered endpoint.

    Envelope: ``{"event", "event_ts" (ms), "payload"}`` with a flat payload; headers
    ``x-zm-signature: v0=<hex>`` and ``x-zm-request-timestamp`` (seconds). A delivery succeeds on a
    2xx answer within ``webhook_timeout_real_s``; otherwise it is retried after each delay of
    ``webhook_retry_delays_s`` (simulated time), as Zoom does (5, 20, 60 minutes).

    Args:
        ctx: The simulator context.
        client: The HTTP client used for deliveries.
    """

    def __init__(self, ctx: SimContext, client: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.client = client
        self.endpoint_url: str | None = None
        self.validated = False
        self.duplicate_next = 0

    async def register(self, url: str) -> bool:
        """Set the app's event notification endpoint and run the URL-validation challenge.

        Returns:
            Whether the endpoint answered the challenge correctly. The URL is registered either
            way (Zoom would refuse to save it; the simulator records the failure instead).
        """
        self.endpoint_url = url
        plain = secrets.token_urlsafe(16)
        expected = url_validation_response(self.ctx.webhook_secret_token, plain)
        status, answer, error = await self._post(
            url, self._envelope(URL_VALIDATION_EVENT, {"plainToken": plain})
        )
        ok = False
        if status == 200 and answer is not None:
            try:
                ok = json.loads(answer) == expected
            except ValueError:
                ok = False
        self.validated = ok
        self.ctx.recorder.add(
            "webhook",
            "sent",
            URL_VALIDATION_EVENT,
            url=url,
            status=status,
            error=error,
            validated=ok,
            plain_token=plain,
        )
        return ok

    def _envelope(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"event": event, "event_ts": self.ctx.clock.time_ms(), "payload": payload}

    def send(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        url: str | None = None,
        meeting_id: int | None = None,
        stream_id: str | None = None,
    ) -> None:
        """Queue a notification (delivered, and retried, in the background)."""
        target = url or self.endpoint_url
        envelope = self._envelope(event, payload)
        if target is None:
            self.ctx.recorder.add(
                "webhook",
                "sent",
                event,
                meeting_id=meeting_id,
                stream_id=stream_id,
                skipped="no endpoint registered",
                body=envelope,
            )
            return
        copies = 1
        if self.duplicate_next > 0:
            self.duplicate_next -= 1
            copies = 2
        for copy in range(copies):
            self.ctx.tasks.spawn(
                f"webhook:{event}:{copy}",
                self.deliver(
                    target, envelope, meeting_id=meeting_id, stream_id=stream_id, copy=copy
                ),
            )

    async def deliver(
        self,
        url: str,
        envelope: dict[str, Any],
        *,
        meeting_id: int | None = None,
        stream_id: str | None = None,
        copy: int = 0,
    ) -> bool:
        """Deliver one notification with Zoom's retry schedule.

        Returns:
            Whether some attempt got a 2xx answer in time.
        """
        delays = (0.0, *self.ctx.config.webhook_retry_delays_s)
        for attempt, delay in enumerate(delays):
            if delay:
                await self.ctx.clock.sleep(delay)
            status, _body, error = await self._post(url, envelope)
            ok = status is not None and 200 <= status < 300
            self.ctx.recorder.add(
                "webhook",
                "sent",
                str(envelope["event"]),
                meeting_id=meeting_id,
                stream_id=stream_id,
                url=url,
                attempt=attempt,
                copy=copy,
                status=status,
                error=error,
                delivered=ok,
                body=envelope,
            )
            if ok:
                return True
        return False

    async def _post(
        self, url: str, envelope: dict[str, Any]
    ) -> tuple[int | None, str | None, str | None]:
        raw = json.dumps(envelope, separators=(",", ":")).encode()
        # Signed with the real wall clock, as Zoom does: the receiver compares it with its own
        # clock (300 s tolerance), which a scaled simulation clock would soon leave behind.
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Zoom Marketplace/1.1a",
            SIGNATURE_HEADER: sign_webhook(self.ctx.webhook_secret_token, timestamp, raw),
            TIMESTAMP_HEADER: timestamp,
            "x-zm-trackingid": "v=2.0;clid=sim;rid=" + secrets.token_hex(8),
        }
        try:
            response = await self.client.post(
                url, content=raw, headers=headers, timeout=self.ctx.config.webhook_timeout_real_s
            )
        except httpx.TimeoutException:
            return None, None, "timeout"
        except httpx.HTTPError as exc:
            return None, None, f"{type(exc).__name__}: {exc}"
        return response.status_code, response.text, None
