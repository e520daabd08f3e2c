"""``GET /metrics`` over real HTTP: Prometheus text, no API key, live values, not in the schema."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from meetmind import MeetMind
from meetmind.api.app import create_app
from meetmind.domain.events import TranscriptReceived
from meetmind.runtime.ingest import StreamContext
from meetmind.serving import serve_app
from tests.conftest import ApiTenant


def _values(text: str) -> dict[str, float]:
    """Unlabelled samples, plus ``name{label=value}`` for the labelled ones."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return out


async def test_metrics_need_no_key_and_move_with_ingest(
    meetmind: MeetMind, api_url: str, tenant_a: ApiTenant
) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as anonymous:
        first = await anonymous.get("/metrics")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert "# TYPE meetmind_streams_owned gauge" in first.text
        before = _values(first.text)
        # The PostgreSQL database is shared by the run: streams other tests left live are resumed.
        assert before["meetmind_streams_owned"] == len(meetmind.streams.session_ids)
        assert before["meetmind_process_role{role=all-in-one}"] == 1
        assert "process_resident_memory_bytes" in before

        session = (
            await tenant_a.http.post("/api/v1/sdk/sessions", json={"meeting_id": "81234567890"})
        ).json()
        context = StreamContext(tenant_a.id, session["id"], "stream-route")
        meetmind.ingestor.submit(context, TranscriptReceived("hi", 1_000, 1_500, "s1", "Ada"))
        await meetmind.ingestor.drained()

        after = _values((await anonymous.get("/metrics")).text)
        received = "meetmind_ingest_events_received_total"
        stored = "meetmind_ingest_turns_stored_total"
        assert after[received] == before[received] + 1
        assert after[stored] == before[stored] + 1
        assert after["meetmind_ingest_queue_depth"] == 0


async def test_metrics_route_is_not_in_the_schema_and_reads_the_role(meetmind: MeetMind) -> None:
    app = create_app(meetmind, manage_lifecycle=False)
    assert "/metrics" not in app.openapi()["paths"]
    app.state.role = "api"
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        values = _values((await http.get("/metrics")).text)
        assert values["meetmind_process_role{role=api}"] == 1
        assert "meetmind_process_role{role=all-in-one}" not in values
        registry = app.state.metrics_registry  # built once, on the first scrape
        await http.get("/metrics")
        assert app.state.metrics_registry is registry
