"""Prometheus metrics read from a running MeetMind: values move with what the process does."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from meetmind.config import Settings
from meetmind.domain.events import TranscriptReceived
from meetmind.metrics import CONTENT_TYPE, MeetMindCollector, build_registry, metrics_response
from meetmind.runtime.ingest import StreamContext
from meetmind.sdk import MeetMind
from meetmind.store.vault import generate_key_spec
from meetmind.zoom.rtms.client import ClientState, RtmsClientConfig, RtmsStreamClient, RtmsTarget
from meetmind.zoom.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook

ZOOM_SECRET = "zoom-webhook-secret"

Sample = tuple[str, tuple[tuple[str, str], ...]]


def _settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'metrics.db'}",
        encryption_keys=generate_key_spec("metrics"),
        zoom_webhook_secret_token=ZOOM_SECRET,
        _env_file=None,
    )


def _endpoint(request: httpx.Request) -> httpx.Response:
    """Subscriber endpoints: /ok accepts every delivery, anything else answers 500."""
    return httpx.Response(200 if request.url.path == "/ok" else 500)


@pytest.fixture
async def mm(tmp_path: Path) -> AsyncIterator[MeetMind]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(_endpoint))
    async with MeetMind(_settings(tmp_path), http=http) as meetmind:
        yield meetmind
    await http.aclose()


def scrape(registry: CollectorRegistry) -> dict[Sample, float]:
    """Every sample of an exposition, parsed back, by (name, sorted labels)."""
    body, content_type = metrics_response(registry)
    assert content_type == CONTENT_TYPE
    samples: dict[Sample, float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def _session(mm: MeetMind) -> StreamContext:
    tenant = await mm.create_tenant("metrics")
    session = await mm.tenant(tenant.id).create_session(meeting_id="812 3456 7890")
    return StreamContext(tenant.id, session.id, "stream-metrics")


def _turn(start_ms: int, text: str = "hello there") -> TranscriptReceived:
    return TranscriptReceived(text, start_ms, start_ms + 900, "spk-1", "Ada")


async def _until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` for up to 10 s (background workers have no completion signal)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_exposition_has_help_types_role_and_process_metrics(mm: MeetMind) -> None:
    registry = build_registry(mm, "worker")
    body, content_type = metrics_response(registry)
    text = body.decode()
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert "# HELP meetmind_streams_owned RTMS streams this process owns" in text
    assert "# TYPE meetmind_streams_owned gauge" in text
    assert "# TYPE meetmind_ingest_turns_stored_total counter" in text
    assert "# TYPE meetmind_ingest_queue_depth gauge" in text
    samples = scrape(registry)
    assert value(samples, "meetmind_process_role", role="worker") == 1
    assert value(samples, "meetmind_streams_owned") == 0
    assert value(samples, "meetmind_streams_by_state", state="streaming") == 0
    assert value(samples, "meetmind_stream_reconnects_total", kind="stream") == 0
    assert value(samples, "meetmind_live_followers") == 0
    assert value(samples, "python_info", **_python_info_labels(samples)) == 1
    assert any(name.startswith("process_") for name, _ in samples), "no process_* metrics"
    assert any(name.startswith("python_gc_") for name, _ in samples), "no python_gc_* metrics"
    # Every MeetMind counter is exposed as *_total (plus the library's *_created, none here).
    names = {name for name, _ in samples if name.startswith("meetmind_")}
    assert {
        "meetmind_ingest_events_received_total",
        "meetmind_ingest_turns_stored_total",
        "meetmind_ingest_duplicates_total",
        "meetmind_ingest_queue_depth",
        "meetmind_stream_malformed_frames_total",
        "meetmind_webhook_delivery_attempts_total",
        "meetmind_webhook_deliveries_delivered_total",
        "meetmind_webhook_deliveries_failed_total",
        "meetmind_zoom_webhooks_received_total",
    } <= names


def _python_info_labels(samples: dict[Sample, float]) -> dict[str, str]:
    return next(dict(labels) for name, labels in samples if name == "python_info")


async def test_unknown_role_is_refused(mm: MeetMind) -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        MeetMindCollector(mm, "sidecar")


async def test_ingest_counters_and_queue_depth_follow_the_writer(mm: MeetMind) -> None:
    context = await _session(mm)
    registry = build_registry(mm)
    before = scrape(registry)
    assert value(before, "meetmind_process_role", role="all-in-one") == 1
    assert value(before, "meetmind_ingest_events_received_total") == 0
    assert value(before, "meetmind_ingest_turns_stored_total") == 0

    # Queued but not yet written (the writer task has not run): the lag gauge shows them.
    for start in (1_000, 2_000, 3_000):
        mm.ingestor.submit(context, _turn(start))
    queued = scrape(registry)
    assert value(queued, "meetmind_ingest_queue_depth") == 3
    assert value(queued, "meetmind_ingest_events_received_total") == 3

    await mm.ingestor.drained()
    written = scrape(registry)
    assert value(written, "meetmind_ingest_queue_depth") == 0
    assert value(written, "meetmind_ingest_turns_stored_total") == 3
    assert value(written, "meetmind_ingest_duplicates_total") == 0
    assert value(written, "meetmind_ingest_batches_total") >= 1

    mm.ingestor.submit(context, _turn(2_000))  # a replayed frame: stored once already
    await mm.ingestor.drained()
    replayed = scrape(registry)
    assert value(replayed, "meetmind_ingest_events_received_total") == 4
    assert value(replayed, "meetmind_ingest_turns_stored_total") == 3
    assert value(replayed, "meetmind_ingest_duplicates_total") == 1


async def test_zoom_webhooks_received_and_duplicates(mm: MeetMind) -> None:
    registry = build_registry(mm)
    body = json.dumps({"event": "meeting.started", "event_ts": 1, "payload": {}}).encode()
    timestamp = str(int(mm.clock.now().timestamp()))
    headers = {
        SIGNATURE_HEADER: sign_webhook(ZOOM_SECRET, timestamp, body),
        TIMESTAMP_HEADER: timestamp,
    }
    assert await mm.receive_zoom_webhook(headers, body) == {"status": "accepted"}
    assert await mm.receive_zoom_webhook(headers, body) == {"status": "duplicate"}
    samples = scrape(registry)
    assert value(samples, "meetmind_zoom_webhooks_received_total") == 2
    assert value(samples, "meetmind_zoom_webhooks_duplicates_total") == 1


async def test_webhook_delivery_counters(mm: MeetMind) -> None:
    context = await _session(mm)
    scope = mm.tenant(context.tenant_id)
    await scope.create_webhook("https://hooks.example/ok", ["transcript.turn"])
    await scope.create_webhook("https://hooks.example/broken", ["transcript.turn"])
    registry = build_registry(mm)
    assert value(scrape(registry), "meetmind_webhook_delivery_attempts_total") == 0

    mm.ingestor.submit(context, _turn(5_000))
    await mm.ingestor.drained()
    await _until(lambda: mm.delivery.attempts >= 2)
    samples = scrape(registry)
    assert value(samples, "meetmind_webhook_delivery_attempts_total") == 2
    assert value(samples, "meetmind_webhook_deliveries_delivered_total") == 1
    assert value(samples, "meetmind_webhook_delivery_attempt_failures_total") == 1
    # The failing one is retried on the schedule, not given up yet.
    assert value(samples, "meetmind_webhook_deliveries_failed_total") == 0


# -- stream counters across clients that come and go ---------------------------------------------


class _Streams:
    """Stands in for the stream supervisor: the sessions' clients, added and removed at will."""

    def __init__(self) -> None:
        self.live: dict[str, RtmsStreamClient] = {}

    @property
    def session_ids(self) -> list[str]:
        return list(self.live)

    def client(self, session_id: str) -> RtmsStreamClient | None:
        return self.live.get(session_id)


@pytest.fixture
def streams(mm: MeetMind, monkeypatch: pytest.MonkeyPatch) -> _Streams:
    """The SDK's stream supervisor swapped for a :class:`_Streams` (restored before closing)."""
    fake = _Streams()
    monkeypatch.setattr(mm, "streams", fake)
    return fake


async def _on_event(_event: object) -> None:
    return None


def _client(number: int) -> RtmsStreamClient:
    return RtmsStreamClient(
        RtmsTarget(f"uuid-{number}", f"stream-{number}", "wss://rtms.example/signaling"),
        RtmsClientConfig(client_id="id", client_secret="secret"),
        _on_event,
    )


STREAM_COUNTERS: list[tuple[str, dict[str, str]]] = [
    ("meetmind_stream_connects_total", {}),
    ("meetmind_stream_reconnects_total", {"kind": "stream"}),
    ("meetmind_stream_reconnects_total", {"kind": "media"}),
    ("meetmind_stream_handshake_failures_total", {}),
    ("meetmind_stream_frames_total", {}),
    ("meetmind_stream_malformed_frames_total", {}),
    ("meetmind_stream_keepalives_answered_total", {}),
]


def _counters(samples: dict[Sample, float]) -> dict[str, float]:
    """The stream counters of a scrape, keyed ``name`` or ``name{kind}``."""
    return {
        name + "".join(f"{{{v}}}" for v in labels.values()): value(samples, name, **labels)
        for name, labels in STREAM_COUNTERS
    }


async def test_stream_gauges_and_retired_client_totals(mm: MeetMind, streams: _Streams) -> None:
    registry = build_registry(mm)

    first = _client(1)
    first.state = ClientState.STREAMING
    first.stats.connects, first.stats.media_reconnects, first.stats.malformed_frames = 3, 1, 2
    streams.live["ses_1"] = first
    samples = scrape(registry)
    assert value(samples, "meetmind_streams_owned") == 1
    assert value(samples, "meetmind_streams_by_state", state="streaming") == 1
    assert value(samples, "meetmind_stream_reconnects_total", kind="stream") == 2
    assert value(samples, "meetmind_stream_reconnects_total", kind="media") == 1
    assert value(samples, "meetmind_stream_malformed_frames_total") == 2

    # The first stream counts a little more on its way out, then ends; a second one starts.
    first.stats.malformed_frames += 1
    first.state = ClientState.CLOSED
    del streams.live["ses_1"]
    second = _client(2)
    second.state = ClientState.WAITING
    second.stats.connects, second.stats.malformed_frames = 1, 5
    streams.live["ses_2"] = second
    samples = scrape(registry)
    assert value(samples, "meetmind_streams_owned") == 1
    assert value(samples, "meetmind_streams_by_state", state="waiting") == 1
    assert value(samples, "meetmind_streams_by_state", state="streaming") == 0
    assert value(samples, "meetmind_stream_connects_total") == 4
    assert value(samples, "meetmind_stream_reconnects_total", kind="stream") == 2
    assert value(samples, "meetmind_stream_malformed_frames_total") == 3 + 5

    del streams.live["ses_2"]
    samples = scrape(registry)
    assert value(samples, "meetmind_streams_owned") == 0
    assert value(samples, "meetmind_stream_connects_total") == 4
    assert value(samples, "meetmind_stream_malformed_frames_total") == 8


async def test_stream_totals_never_go_down_as_clients_come_and_go(
    mm: MeetMind, streams: _Streams
) -> None:
    registry = build_registry(mm)
    rng = random.Random(20240607)
    seen: dict[int, RtmsStreamClient] = {}  # every client that was live at some scrape
    previous = _counters(scrape(registry))
    number = 0
    for _ in range(400):
        roll = rng.random()
        if roll < 0.2 and len(streams.live) < 6:
            number += 1
            streams.live[f"ses_{number}"] = _client(number)
        elif roll < 0.35 and streams.live:
            del streams.live[rng.choice(sorted(streams.live))]
        elif roll < 0.8 and streams.live:
            stats = streams.live[rng.choice(sorted(streams.live))].stats
            field = rng.choice(
                [
                    "connects",
                    "media_reconnects",
                    "handshake_failures",
                    "frames",
                    "malformed_frames",
                    "keepalives_answered",
                ]
            )
            setattr(stats, field, getattr(stats, field) + rng.randint(1, 5))
        else:
            for client in streams.live.values():
                seen[id(client)] = client
            samples = scrape(registry)
            current = _counters(samples)
            for name, total in current.items():
                assert total >= previous[name], f"{name} went down: {previous[name]} -> {total}"
            assert value(samples, "meetmind_streams_owned") == len(streams.live)
            # Exactly the sum over every client ever seen, with its latest stats.
            assert current["meetmind_stream_frames_total"] == sum(
                c.stats.frames for c in seen.values()
            )
            assert current["meetmind_stream_reconnects_total{stream}"] == sum(
                max(c.stats.connects - 1, 0) for c in seen.values()
            )
            previous = current
