"""Prometheus metrics: ``GET /metrics`` (no API key, not in the OpenAPI schema).

The registry is built on the first scrape and kept on ``app.state.metrics_registry``; the
process's role comes from ``app.state.role`` when something set it (else ``all-in-one``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client.registry import CollectorRegistry

from meetmind.metrics import build_registry, metrics_response

router = APIRouter(tags=["metrics"])


def _registry(request: Request) -> CollectorRegistry:
    state = request.app.state
    registry: CollectorRegistry | None = getattr(state, "metrics_registry", None)
    if registry is None:
        registry = build_registry(state.meetmind, getattr(state, "role", state.meetmind.role))
        state.metrics_registry = registry
    return registry


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """This process's metrics in Prometheus' text format."""
    body, content_type = metrics_response(_registry(request))
    return Response(body, media_type=content_type)
