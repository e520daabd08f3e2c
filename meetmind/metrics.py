"""Prometheus metrics: what a running MeetMind process is doing, read at scrape time.

:class:`MeetMindCollector` reads the live state of one :class:`~meetmind.sdk.MeetMind` (its
streams, ingest writer, webhook delivery worker, Zoom inbox, agent and live bus) whenever the
registry is scraped; nothing in the runtime counts on the collector's behalf. A scrape never
touches the database, so it is cheap and synchronous.

This module needs no web framework: the API serves it at ``GET /metrics`` and a worker process
can serve :func:`build_registry` + :func:`metrics_response` on a port of its own.

Example::

    registry = build_registry(mm, "worker")
    body, content_type = metrics_response(registry)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from prometheus_client import GCCollector, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from meetmind import __version__
from meetmind.zoom.rtms.client import ClientState, ClientStats

if TYPE_CHECKING:
    from meetmind.sdk import MeetMind

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_ROLE",
    "ROLES",
    "MeetMindCollector",
    "build_registry",
    "metrics_response",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic Prometheus text format, which :func:`generate_latest` writes for our names.

Pinned rather than ``prometheus_client.CONTENT_TYPE_LATEST``: that constant says 0.0.4 or
1.0.0 depending on the library's version, and 0.0.4 is what every Prometheus version parses.
"""

DEFAULT_ROLE = "all-in-one"
ROLES = ("all-in-one", "api", "worker")
"""What a process does: everything (``meetmind serve``), the HTTP API only, or streams only."""


@dataclass
class _StreamTotals:
    """Sums of :class:`ClientStats` over a set of clients."""

    connects: int = 0
    stream_reconnects: int = 0
    media_reconnects: int = 0
    handshake_failures: int = 0
    frames: int = 0
    malformed_frames: int = 0
    keepalives_answered: int = 0

    def add(self, stats: ClientStats) -> None:
        self.connects += stats.connects
        # Every connection after a client's first is a reconnect of the whole stream.
        self.stream_reconnects += max(stats.connects - 1, 0)
        self.media_reconnects += stats.media_reconnects
        self.handshake_failures += stats.handshake_failures
        self.frames += stats.frames
        self.malformed_frames += stats.malformed_frames
        self.keepalives_answered += stats.keepalives_answered

    def plus(self, other: _StreamTotals) -> _StreamTotals:
        return _StreamTotals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


class MeetMindCollector(Collector):
    """Reads a running MeetMind's counters and gauges at each scrape.

    Stream counters live on each RTMS client, and a client goes away when its stream ends; the
    collector keeps every client's stats object it has seen and, once the client is gone, adds
    its final values to a running total, so ``*_total`` series never go down. (A stream that
    starts and ends between two scrapes is never seen, so its counts are missed.)

    Scrape from the thread running the MeetMind's event loop where possible; reads from another
    thread see consistent-enough integers but no lock protects the runtime's state.
    """

    def __init__(self, meetmind: MeetMind, role: str = DEFAULT_ROLE) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self.meetmind = meetmind
        self.role = role
        self._lock = threading.Lock()
        self._watched: dict[int, ClientStats] = {}
        """Stats of the clients live at the last scrape, by ``id`` (held, so ids stay unique)."""
        self._retired = _StreamTotals()

    def collect(self) -> Iterable[Metric]:
        """Every MeetMind metric, read now."""
        mm = self.meetmind
        yield _gauge(
            "meetmind_process_role",
            "1 for this process's role: all-in-one (meetmind serve), api or worker.",
            1,
            role=self.role,
        )
        yield _gauge(
            "meetmind_build_info", "1, labelled with the MeetMind version.", 1, version=__version__
        )
        yield from self._streams(mm)
        yield from self._ingest(mm)
        yield from self._delivery(mm)
        yield from self._zoom(mm)
        yield from self._agent(mm)
        yield from self._bus(mm)

    # -- streams ---------------------------------------------------------------------------------

    def _stream_totals(self, live: dict[int, ClientStats]) -> _StreamTotals:
        """Monotonic totals: retired clients' final stats plus the live clients' current ones."""
        with self._lock:
            for key, stats in self._watched.items():
                if key not in live:
                    self._retired.add(stats)  # read now: the client is done, these are final
            self._watched = live
            current = _StreamTotals()
            for stats in live.values():
                current.add(stats)
            return self._retired.plus(current)

    def _streams(self, mm: MeetMind) -> Iterator[Metric]:
        supervisor = mm.streams
        states = dict.fromkeys(ClientState, 0)
        live: dict[int, ClientStats] = {}
        for session_id in supervisor.session_ids:
            client = supervisor.client(session_id)
            if client is None:  # ended between the two reads
                continue
            live[id(client.stats)] = client.stats
            states[client.state] += 1
        totals = self._stream_totals(live)
        yield _gauge(
            "meetmind_streams_owned",
            "RTMS streams this process owns (has a client for) right now.",
            len(live),
        )
        by_state = GaugeMetricFamily(
            "meetmind_streams_by_state",
            "Owned RTMS streams by client state: idle, connecting, streaming, waiting "
            "(connection lost, reconnecting) or closed.",
            labels=["state"],
        )
        for state, count in states.items():
            by_state.add_metric([state.value], count)
        yield by_state
        yield _counter(
            "meetmind_stream_connects_total",
            "Attempts to connect an RTMS stream (signaling and media), first ones included.",
            totals.connects,
        )
        reconnects = CounterMetricFamily(
            "meetmind_stream_reconnects_total",
            "RTMS reconnections: kind=stream redoes signaling and media (an attempt after a "
            "client's first), kind=media reconnected one dropped media socket.",
            labels=["kind"],
        )
        reconnects.add_metric(["stream"], totals.stream_reconnects)
        reconnects.add_metric(["media"], totals.media_reconnects)
        yield reconnects
        yield _counter(
            "meetmind_stream_handshake_failures_total",
            "RTMS socket connects or handshakes that failed or were refused.",
            totals.handshake_failures,
        )
        yield _counter(
            "meetmind_stream_frames_total",
            "WebSocket frames received from Zoom's RTMS servers.",
            totals.frames,
        )
        yield _counter(
            "meetmind_stream_malformed_frames_total",
            "RTMS frames that could not be decoded and were skipped.",
            totals.malformed_frames,
        )
        yield _counter(
            "meetmind_stream_keepalives_answered_total",
            "RTMS keep-alive requests answered.",
            totals.keepalives_answered,
        )

    # -- ingest ----------------------------------------------------------------------------------

    def _ingest(self, mm: MeetMind) -> Iterator[Metric]:
        stats = mm.ingestor.stats
        yield _counter(
            "meetmind_ingest_events_received_total",
            "Stream events handed to the ingest writer (transcript, chat, participants, state).",
            stats.received,
        )
        yield _counter(
            "meetmind_ingest_turns_stored_total",
            "Transcript turns stored (new ones only).",
            stats.turns_stored,
        )
        yield _counter(
            "meetmind_ingest_duplicates_total",
            "Transcript turns skipped because they were stored already (replays, reconnects).",
            stats.duplicates,
        )
        yield _counter(
            "meetmind_ingest_batches_total",
            "Transactions the ingest writer committed (group commit).",
            stats.batches,
        )
        fenced = getattr(stats, "fenced", None)  # counted by builds with stream fencing
        if isinstance(fenced, int):
            yield _counter(
                "meetmind_ingest_fenced_total",
                "Stream events refused because their writer no longer owns the stream.",
                fenced,
            )
        # Ingestor has no public queue accessor; its queue is read directly (qsize is cheap).
        queue: Any = getattr(mm.ingestor, "_queue", None)
        if queue is not None:
            yield _gauge(
                "meetmind_ingest_queue_depth",
                "Stream events waiting for the ingest writer: ingest lag, in events.",
                queue.qsize(),
            )

    # -- outgoing webhooks -----------------------------------------------------------------------

    def _delivery(self, mm: MeetMind) -> Iterator[Metric]:
        worker = mm.delivery
        yield _counter(
            "meetmind_webhook_delivery_attempts_total",
            "Outgoing webhook delivery attempts made by this process.",
            worker.attempts,
        )
        yield _counter(
            "meetmind_webhook_deliveries_delivered_total",
            "Outgoing webhook attempts the endpoint accepted (2xx).",
            worker.delivered,
        )
        yield _counter(
            "meetmind_webhook_delivery_attempt_failures_total",
            "Outgoing webhook attempts that failed (error, timeout or non-2xx); most are retried.",
            max(worker.attempts - worker.delivered, 0),
        )
        yield _counter(
            "meetmind_webhook_deliveries_failed_total",
            "Outgoing webhook deliveries given up on after the whole retry schedule failed.",
            worker.failed,
        )

    # -- Zoom ------------------------------------------------------------------------------------

    def _zoom(self, mm: MeetMind) -> Iterator[Metric]:
        inbox = mm.zoom_inbox
        yield _counter(
            "meetmind_zoom_webhooks_received_total",
            "Zoom webhooks received with a valid signature (duplicates included).",
            inbox.received,
        )
        yield _counter(
            "meetmind_zoom_webhooks_duplicates_total",
            "Zoom webhooks received again (Zoom's retries) and ignored.",
            inbox.duplicates,
        )
        yield _counter(
            "meetmind_zoom_token_refreshes_total",
            "Zoom OAuth access-token refresh requests sent.",
            mm.zoom.tokens.refreshes,
        )

    # -- agent and live followers ----------------------------------------------------------------

    def _agent(self, mm: MeetMind) -> Iterator[Metric]:
        agent = mm.agent
        yield _counter(
            "meetmind_agent_wake_words_detected_total",
            "Wake words detected in meeting transcripts.",
            agent.detections,
        )
        yield _counter(
            "meetmind_agent_replies_total",
            "Agent answers to wake words delivered (through the reply bridge, and recorded).",
            agent.replies,
        )
        # AgentRuntime counts detections not answered yet in a private field; read it directly.
        busy = getattr(agent, "_busy", None)
        if isinstance(busy, int):
            yield _gauge(
                "meetmind_agent_requests_pending",
                "Wake-word requests detected and not answered yet.",
                busy,
            )

    def _bus(self, mm: MeetMind) -> Iterator[Metric]:
        # EventBus exposes followers per session only; its waiter map gives the total cheaply.
        waiters = getattr(mm.bus, "_waiters", None)
        if isinstance(waiters, dict):
            yield _gauge(
                "meetmind_live_followers",
                "Live feed followers (event streams) connected to this process.",
                sum(len(group) for group in list(waiters.values())),
            )


def _gauge(name: str, documentation: str, value: float, **labels: str) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(name, documentation, labels=list(labels))
    metric.add_metric(list(labels.values()), value)
    return metric


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def build_registry(meetmind: MeetMind, role: str = DEFAULT_ROLE) -> CollectorRegistry:
    """A fresh registry (not the global one) with MeetMind's metrics and the process's own.

    The process, platform and garbage-collector collectors add ``process_*`` (CPU, memory, open
    files) and ``python_*`` series.
    """
    registry = CollectorRegistry()
    registry.register(MeetMindCollector(meetmind, role))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def metrics_response(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus' text format: ``(body, content type)``."""
    return generate_latest(registry), CONTENT_TYPE
