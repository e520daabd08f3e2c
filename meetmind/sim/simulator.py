"""The :class:`Simulator`: a local Zoom (OAuth, REST, webhooks, RTMS) on ephemeral ports."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from meetmind.domain.errors import ConflictError
from meetmind.sim.clock import ScaledClock
from meetmind.sim.context import SimConfig, SimContext
from meetmind.sim.faults import Fault, parse_fault
from meetmind.sim.http import HttpServer, build_app
from meetmind.sim.meeting import Meeting
from meetmind.sim.oauth import OAuthServer, SimUser
from meetmind.sim.record import Recorder
from meetmind.sim.rest import RestFaults
from meetmind.sim.rtms_server import RtmsNode
from meetmind.sim.scripts import Script, load_script
from meetmind.sim.stream import RtmsStream
from meetmind.sim.stream_ops import apply_fault, rtms_action, start_rtms
from meetmind.sim.webhook_sender import WebhookSender
from meetmind.zoom.rtms.protocol import handshake_signature

__all__ = ["Simulator"]


def _zoom_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


class Simulator:
    """A faithful local Zoom for tests, demos and users' own apps.

    Usage::

        async with Simulator(time_scale=50) as sim:
            await sim.register_webhook("http://127.0.0.1:8000/zoom/webhook")
            meeting = sim.create_meeting("standup")
            sim.start_rtms(meeting)

    Args:
        time_scale: Simulated seconds per real second (keep-alives, scripts, retries, expiry).
        host: Interface to listen on (all servers).
        port: HTTP port for OAuth/REST/admin (0 = ephemeral); RTMS ports are always ephemeral.
        client_id: OAuth client id of the simulated RTMS app (random if omitted).
        client_secret: Its client secret (random if omitted).
        webhook_secret_token: Webhook secret token (random if omitted).
        webhook_url: Event notification endpoint registered (with URL validation) at start.
        config: Behaviour knobs (keep-alive, windows, lifetimes...).
        clock: A clock to share (default: a new :class:`ScaledClock` with ``time_scale``).
        redeliver_on_reconnect: Text frames re-sent after a media interruption (clients dedupe).
        record_audio: Whether every audio frame is recorded (summaries, no payload).
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        webhook_secret_token: str | None = None,
        webhook_url: str | None = None,
        config: SimConfig | None = None,
        clock: ScaledClock | None = None,
        redeliver_on_reconnect: int = 2,
        record_audio: bool = True,
    ) -> None:
        self.clock = clock or ScaledClock(time_scale)
        self.config = config or SimConfig()
        self.record = Recorder(self.clock)
        self.ctx = SimContext(
            config=self.config,
            clock=self.clock,
            recorder=self.record,
            client_id=client_id or secrets.token_urlsafe(16),
            client_secret=client_secret or secrets.token_urlsafe(24),
            webhook_secret_token=webhook_secret_token or secrets.token_urlsafe(16),
            host=host,
        )
        self.ctx.extras["redeliver_on_reconnect"] = redeliver_on_reconnect
        self.ctx.extras["record_audio"] = record_audio
        self.ctx.node_factory = self._new_node
        self.user = SimUser(id=_zoom_id(), account_id=_zoom_id())
        self.oauth = OAuthServer(self.ctx, self.user)
        self.rest_faults = RestFaults()
        self._host = host
        self._port = port
        self._initial_webhook_url = webhook_url
        self._http: HttpServer | None = None
        self._client: httpx.AsyncClient | None = None
        self.started = False

    # ------------------------------------------------------------------ credentials & URLs

    @property
    def client_id(self) -> str:
        """OAuth client id of the simulated RTMS app."""
        return self.ctx.client_id

    @property
    def client_secret(self) -> str:
        """OAuth client secret (also the RTMS handshake signing key)."""
        return self.ctx.client_secret

    @property
    def webhook_secret_token(self) -> str:
        """Secret token that signs webhooks."""
        return self.ctx.webhook_secret_token

    @property
    def http_base_url(self) -> str:
        """``http://host:port`` of the HTTP server."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._http.port if self._http else self._port}"

    @property
    def oauth_base_url(self) -> str:
        """Base of ``/oauth/authorize``, ``/oauth/token``, ``/oauth/revoke`` (Zoom: https://zoom.us)."""
        return self.http_base_url

    @property
    def api_base_url(self) -> str:
        """REST base including ``/v2`` (Zoom: https://api.zoom.us/v2)."""
        return self.http_base_url + "/v2"

    @property
    def admin_base_url(self) -> str:
        """Admin API base (``/sim``)."""
        return self.http_base_url + "/sim"

    @property
    def signaling_url(self) -> str:
        """Signaling URL of the primary RTMS server (what ``server_urls`` carries)."""
        return self.ctx.nodes[0].signaling_url

    def info(self) -> dict[str, Any]:
        """Base URLs and credentials (what ``meetmind sim --json`` prints)."""
        return {
            "http_base_url": self.http_base_url,
            "oauth_base_url": self.oauth_base_url,
            "api_base_url": self.api_base_url,
            "admin_base_url": self.admin_base_url,
            "signaling_url": self.signaling_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "webhook_secret_token": self.webhook_secret_token,
            "webhook_url": None if self.ctx.webhooks is None else self.ctx.webhooks.endpoint_url,
            "user_id": self.user.id,
            "account_id": self.user.account_id,
            "time_scale": self.clock.time_scale,
        }

    # ------------------------------------------------------------------ lifecycle

    async def _new_node(self) -> RtmsNode:
        node = RtmsNode(self.ctx, f"rtms-{len(self.ctx.nodes) + 1}")
        await node.start()
        self.ctx.nodes.append(node)
        self.record.add(
            "admin", "event", "rtms_node.started", node=node.name, signaling_url=node.signaling_url
        )
        return node

    async def start(self) -> None:
        """Start every server (HTTP and the first RTMS node)."""
        if self.started:
            return
        self._client = httpx.AsyncClient()
        self.ctx.webhooks = WebhookSender(self.ctx, self._client)
        await self._new_node()
        self._http = HttpServer(build_app(self), self._host, self._port)
        await self._http.start()
        self.oauth.api_url = self.http_base_url
        self.started = True
        if self._initial_webhook_url:
            await self.register_webhook(self._initial_webhook_url)

    async def stop(self) -> None:
        """End every meeting's streams, stop the servers and cancel background work."""
        if not self.started:
            return
        self.started = False
        self.ctx.closing = True
        for node in self.ctx.nodes:
            await node.stop()
        await self.ctx.tasks.close()
        if self._http is not None:
            await self._http.stop()
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ control

    def _meeting(self, meeting: Meeting | int | str) -> Meeting:
        if isinstance(meeting, Meeting):
            return meeting
        found = self.ctx.find_meeting(meeting)
        if found is None:
            from meetmind.domain.errors import NotFoundError

            raise NotFoundError(f"no meeting {meeting}")
        return found

    def create_meeting(
        self,
        script: str | Path | Mapping[str, Any] | Script = "standup",
        *,
        start: bool = True,
        meeting_id: int | None = None,
        host_user_id: str | None = None,
        wait_for_rtms: bool = False,
    ) -> Meeting:
        """Create a meeting from a script (shipped name, path, mapping or :class:`Script`).

        Args:
            script: The script.
            start: Start it at once (the script clock starts now).
            meeting_id: Numeric meeting id (random if omitted).
            host_user_id: Zoom user id of the host (default: the simulated OAuth user). Another
                id makes REST ``rtms_app/status`` answer 2308.
            wait_for_rtms: The meeting is live at once, but its script starts only when RTMS
                starts for it (see :meth:`Meeting.start`).

        Raises:
            ScriptError: The script is invalid.
            ConflictError: ``meeting_id`` is taken.
        """
        parsed = load_script(script)
        if meeting_id is not None and meeting_id in self.ctx.meetings:
            raise ConflictError(f"meeting {meeting_id} exists")
        meeting = Meeting(
            self.ctx,
            parsed,
            meeting_id=meeting_id,
            host_user_id=host_user_id or self.user.id,
            account_id=self.user.account_id,
        )
        self.ctx.meetings[meeting.id] = meeting
        self.record.add(
            "admin",
            "event",
            "meeting.created",
            meeting_id=meeting.id,
            uuid=meeting.uuid,
            script=parsed.name,
        )
        if start:
            meeting.start(wait_for_rtms=wait_for_rtms)
        return meeting

    async def register_webhook(self, url: str) -> bool:
        """Register the app's webhook endpoint; returns whether URL validation passed."""
        assert self.ctx.webhooks is not None, "start the simulator first"
        return await self.ctx.webhooks.register(url)

    def start_rtms(
        self, meeting: Meeting | int | str, *, webhook_url: str | None = None
    ) -> RtmsStream:
        """Start RTMS for a live meeting; ``meeting.rtms_started`` follows shortly."""
        return start_rtms(
            self.ctx, self._meeting(meeting), operator_id=self.user.id, webhook_url=webhook_url
        )

    async def rtms_action(self, meeting: Meeting | int | str, action: str) -> RtmsStream:
        """``start``, ``stop``, ``pause`` or ``resume`` RTMS, as the REST API does."""
        return await rtms_action(self.ctx, self._meeting(meeting), action, operator_id=self.user.id)

    async def inject_fault(
        self, meeting: Meeting | int | str, fault: Fault | Mapping[str, Any]
    ) -> None:
        """Inject a fault now, or at meeting time ``fault.at`` if that is still ahead."""
        target = self._meeting(meeting)
        parsed = fault if isinstance(fault, Fault) else parse_fault(fault)
        if parsed.at is not None and parsed.at > target.script_time():

            async def _later() -> None:
                await target.at_script_time(parsed.at or 0.0)
                await apply_fault(self.ctx, target, parsed)

            self.ctx.tasks.spawn(f"fault:{parsed.kind.value}", _later())
            return
        await apply_fault(self.ctx, target, parsed)

    async def end_meeting(self, meeting: Meeting | int | str) -> None:
        """End a meeting (its streams stop with reason 6)."""
        await self._meeting(meeting).end()

    def issue_tokens(self) -> dict[str, Any]:
        """A Zoom-shaped token response for the simulated user, without the OAuth dance."""
        return self.oauth.issue_tokens()

    def signature(self, meeting_uuid: str, rtms_stream_id: str) -> str:
        """The RTMS handshake signature with this app's credentials."""
        return handshake_signature(self.client_id, self.client_secret, meeting_uuid, rtms_stream_id)

    async def wait_idle(self, limit_s: float = 5.0) -> None:
        """Wait (real seconds) until no webhook delivery is in flight (best effort)."""
        deadline = asyncio.get_running_loop().time() + limit_s
        while asyncio.get_running_loop().time() < deadline:
            if not any(t.get_name().startswith("webhook:") for t in asyncio.all_tasks()):
                return
            await asyncio.sleep(0.01)  # real-time polling of task state, not simulated time
