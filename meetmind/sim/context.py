"""Shared state of one simulator instance, passed explicitly to every component."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meetmind.sim.clock import ScaledClock
from meetmind.sim.record import Recorder
from meetmind.sim.tasks import TaskSet
from meetmind.zoom.rtms.enums import MediaType
from meetmind.zoom.rtms.params import ALL_MEDIA

if TYPE_CHECKING:
    from meetmind.sim.meeting import Meeting
    from meetmind.sim.rtms_server import RtmsNode
    from meetmind.sim.stream import RtmsStream
    from meetmind.sim.webhook_sender import WebhookSender

__all__ = ["SimConfig", "SimContext"]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Tunable behaviour. Durations are simulated seconds unless named ``real``.

    Attributes:
        keepalive_interval_s: Period of KEEP_ALIVE_REQ on every socket (Zoom: 10 s).
        keepalive_max_missed: Unanswered requests that interrupt a socket (Zoom: 3).
        signaling_reconnect_window_s: Wait for a new signaling connection (Zoom: 60 s).
        media_reconnect_window_s: Wait for a media reconnection (Zoom: 65 s).
        buffer_window_s: How much media RTMS buffers while nobody receives it (Zoom: 60 s).
        allowed_media: Media types the app's scopes allow.
        rtms_start_delay_s: Delay between a REST ``start`` and the ``rtms_started`` webhook.
        handshake_timeout_real_s: Real seconds a new socket has to send its handshake.
        webhook_timeout_real_s: Real seconds an endpoint has to answer (Zoom: 3 s).
        webhook_retry_delays_s: Zoom's retry schedule (5, 20 and 60 minutes).
        access_token_ttl_s: OAuth access-token lifetime (Zoom: 3599 s).
        authorization_code_ttl_s: OAuth authorization-code lifetime (Zoom: 5 minutes).
        seed: Seed for ids and synthesised noise (``None``: random).
    """

    keepalive_interval_s: float = 10.0
    keepalive_max_missed: int = 3
    signaling_reconnect_window_s: float = 60.0
    media_reconnect_window_s: float = 65.0
    buffer_window_s: float = 60.0
    allowed_media: MediaType = ALL_MEDIA
    rtms_start_delay_s: float = 0.5
    handshake_timeout_real_s: float = 10.0
    webhook_timeout_real_s: float = 3.0
    webhook_retry_delays_s: tuple[float, ...] = (300.0, 1200.0, 3600.0)
    access_token_ttl_s: int = 3599
    authorization_code_ttl_s: float = 300.0
    seed: int | None = None


@dataclass
class SimContext:
    """Everything components share: clock, record, credentials, registries and tasks."""

    config: SimConfig
    clock: ScaledClock
    recorder: Recorder
    client_id: str
    client_secret: str
    webhook_secret_token: str
    host: str
    tasks: TaskSet = field(default_factory=TaskSet)
    meetings: dict[int, Meeting] = field(default_factory=dict)
    streams: dict[str, RtmsStream] = field(default_factory=dict)
    nodes: list[RtmsNode] = field(default_factory=list)
    webhooks: WebhookSender | None = None
    node_factory: Callable[[], Awaitable[RtmsNode]] | None = None
    closing: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def find_meeting(self, key: int | str) -> Meeting | None:
        """A meeting by numeric id (int or digits) or by UUID."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return self.meetings.get(int(key))
        return next((m for m in self.meetings.values() if m.uuid == key), None)
