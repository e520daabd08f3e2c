"""How the agent's replies reach the meeting: the :class:`ReplyBridge` protocol and two bridges.

Zoom RTMS only receives media, so a reply leaves MeetMind through a bridge:

* :class:`SimulatorBridge` posts it to the Zoom simulator's admin API
  (``POST {admin_base_url}/meetings/{meeting_id}/chat`` and ``/utterances``), so the
  simulated meeting receives it as the agent's chat message and speech;
* :class:`WebhookBridge` POSTs it, signed Standard-Webhooks style
  (:mod:`meetmind.webhook_signing`), to the application, which speaks or posts it through
  its own Zoom Meeting SDK bot.

A bridge does not raise on delivery failures: :meth:`ReplyBridge.deliver` returns a
:class:`DeliveryResult` saying what reached the meeting and, if not everything did, why.
Retries belong to the caller (the runtime's delivery loop), which can reuse
:attr:`BridgeMessage.reply_id` so that the receiver de-duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import quote

import httpx

from meetmind.clock import Clock, SystemClock
from meetmind.ids import new_id
from meetmind.webhook_signing import signature_headers

__all__ = [
    "BridgeMessage",
    "DeliveryResult",
    "ReplyBridge",
    "ReplyChannel",
    "ReplyMode",
    "SimulatorBridge",
    "WebhookBridge",
]

logger = logging.getLogger(__name__)

ReplyMode = Literal["chat", "speech", "both"]
"""How a reply should reach the meeting: as a chat message, as speech, or both."""

ReplyChannel = Literal["chat", "speech"]
"""One way a reply reached the meeting."""

_CHANNELS: dict[str, tuple[ReplyChannel, ...]] = {
    "chat": ("chat",),
    "speech": ("speech",),
    "both": ("chat", "speech"),
}


@dataclass(frozen=True, slots=True)
class BridgeMessage:
    """A reply on its way into a meeting.

    Attributes:
        session_id: The MeetMind session.
        meeting_id: The Zoom meeting (the simulator's meeting id for the simulator bridge).
        text: What the agent says.
        agent_name: The agent's display name in the meeting.
        mode: ``"chat"``, ``"speech"`` or ``"both"``.
        reply_id: A stable id of this reply; a webhook bridge sends it as ``webhook-id`` so
            that a retried delivery is recognised. One is made when omitted.
    """

    session_id: str
    meeting_id: str
    text: str
    agent_name: str = "MeetMind"
    mode: ReplyMode = "both"
    reply_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a bridge managed to deliver.

    Attributes:
        delivered: True when every channel the mode asked for was delivered.
        bridge: The bridge's name (``"simulator"``, ``"webhook"``, ...).
        channels: The channels that were delivered (``"chat"``, ``"speech"``); for a webhook,
            those the application was asked to use.
        status_code: The last HTTP status received, if any.
        detail: Why delivery failed (``"timeout"``, ``"http_404"``, ...); None on success.
        message_id: The id the message was delivered under, when the bridge has one.
    """

    delivered: bool
    bridge: str
    channels: tuple[ReplyChannel, ...] = ()
    status_code: int | None = None
    detail: str | None = None
    message_id: str | None = None


@runtime_checkable
class ReplyBridge(Protocol):
    """Delivers the agent's replies into a meeting."""

    async def deliver(self, reply: BridgeMessage) -> DeliveryResult:
        """Deliver one reply.

        Args:
            reply: The reply and where it goes.

        Returns:
            What was delivered; failures are reported here, not raised.
        """
        ...


class _HttpBridge:
    """Client ownership shared by the HTTP bridges."""

    def __init__(self, client: httpx.AsyncClient | None, timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        self._client = client
        self._owns_client = client is None
        self._timeout = httpx.Timeout(timeout)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client if the bridge created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Exit: close the owned client."""
        await self.aclose()

    async def _post(
        self, url: str, *, content: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        """POST and classify: ``(status, None)`` on 2xx, else ``(status or None, detail)``."""
        try:
            response = await self._http().post(
                url, content=content, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            return None, "timeout"
        except httpx.HTTPError as exc:
            logger.warning("reply delivery to %s failed: %s", url, type(exc).__name__)
            return None, "connection_error"
        if not response.is_success:
            logger.warning("reply delivery to %s answered %d", url, response.status_code)
            return response.status_code, f"http_{response.status_code}"
        return response.status_code, None


class SimulatorBridge(_HttpBridge):
    """Delivers replies into a meeting of the Zoom simulator (:mod:`meetmind.sim`).

    Chat goes to ``POST {admin_base_url}/meetings/{meeting_id}/chat`` and speech to
    ``.../utterances``, both with ``{"text", "user_name"}``; the simulator records them and
    lists them at ``GET {admin_base_url}/meetings/{meeting_id}/agent``.

    Example:
        >>> bridge = SimulatorBridge("http://127.0.0.1:9000/sim")
    """

    name = "simulator"

    def __init__(
        self,
        admin_base_url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
    ) -> None:
        """Create the bridge.

        Args:
            admin_base_url: The simulator's admin root (``Simulator.admin_base_url``, ending
                in ``/sim``).
            client: A shared client (the caller closes it); one is created and owned when
                omitted.
            timeout: Seconds per HTTP request.
        """
        super().__init__(client, timeout)
        self._base = admin_base_url.rstrip("/")

    async def __aenter__(self) -> SimulatorBridge:
        """Enter: nothing to open, the client is created on first use."""
        return self

    async def deliver(self, reply: BridgeMessage) -> DeliveryResult:
        """Post the reply as the agent's chat message and/or utterance.

        Args:
            reply: The reply.

        Returns:
            The channels delivered (posted at the same time); failed ones are left out.
        """
        meeting = quote(reply.meeting_id, safe="")
        body = json.dumps({"text": reply.text, "user_name": reply.agent_name}).encode()
        headers = {"Content-Type": "application/json"}
        channels = _CHANNELS[reply.mode]
        answers = await asyncio.gather(
            *(
                self._post(
                    f"{self._base}/meetings/{meeting}/{'chat' if c == 'chat' else 'utterances'}",
                    content=body,
                    headers=headers,
                )
                for c in channels
            )
        )
        delivered = tuple(c for c, (_, detail) in zip(channels, answers, strict=True) if not detail)
        failures = [(status, detail) for status, detail in answers if detail is not None]
        if failures:
            status, detail = failures[0]
            return DeliveryResult(False, self.name, delivered, status, detail)
        return DeliveryResult(True, self.name, delivered, answers[-1][0])


class WebhookBridge(_HttpBridge):
    """Delivers replies to the application as signed webhooks.

    The body is JSON::

        {"type": "agent.reply", "timestamp": "2025-01-01T12:00:00+00:00",
         "data": {"reply_id", "session_id", "meeting_id", "text", "agent_name", "mode"}}

    and the headers ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` follow
    Standard Webhooks (verify with :func:`meetmind.webhook_signing.verify` or any Standard
    Webhooks library). The application then posts or speaks the text in the meeting.
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        """Create the bridge.

        Args:
            url: The application's endpoint.
            secret: The signing secret, ``whsec_<base64>``.
            client: A shared client (the caller closes it); one is created and owned when
                omitted.
            timeout: Seconds for the request.
            clock: The wall clock for ``webhook-timestamp``; the system clock when omitted.
            id_factory: Makes message ids for replies without ``reply_id``.

        Raises:
            ValueError: If the URL is not http(s) or the secret is not ``whsec_<base64>``.
        """
        super().__init__(client, timeout)
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        signature_headers(secret, "check", 0, b"")  # fail now on a malformed secret
        self._url = url
        self._secret = secret
        self._clock: Clock = clock or SystemClock()
        self._id_factory = id_factory or (lambda: new_id("msg", self._clock.now()))

    def __repr__(self) -> str:
        """A representation without the secret."""
        return f"WebhookBridge(url={self._url!r})"

    async def __aenter__(self) -> WebhookBridge:
        """Enter: nothing to open, the client is created on first use."""
        return self

    async def deliver(self, reply: BridgeMessage) -> DeliveryResult:
        """POST the signed reply to the application.

        Args:
            reply: The reply.

        Returns:
            Delivered when the application answered 2xx; ``message_id`` is the
            ``webhook-id`` sent.
        """
        message_id = reply.reply_id or self._id_factory()
        now = self._clock.now()
        payload = {
            "type": "agent.reply",
            "timestamp": now.isoformat(),
            "data": {
                "reply_id": message_id,
                "session_id": reply.session_id,
                "meeting_id": reply.meeting_id,
                "text": reply.text,
                "agent_name": reply.agent_name,
                "mode": reply.mode,
            },
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = signature_headers(self._secret, message_id, int(now.timestamp()), body)
        headers["Content-Type"] = "application/json"
        status, detail = await self._post(self._url, content=body, headers=headers)
        channels = _CHANNELS[reply.mode] if detail is None else ()
        return DeliveryResult(detail is None, self.name, channels, status, detail, message_id)
