"""The ``meetmind worker`` process: a stream worker with /healthz and /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import signal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from meetmind.config import Settings
from meetmind.metrics import build_registry, metrics_response
from meetmind.sdk import MeetMind
from meetmind.serving import serve_app

__all__ = ["run_worker", "worker_app"]

log = logging.getLogger(__name__)


def worker_app(meetmind: MeetMind) -> Starlette:
    """The worker's small HTTP surface: ``/healthz`` and Prometheus ``/metrics``."""
    registry = build_registry(meetmind, "worker")

    async def healthz(_request: Request) -> JSONResponse:
        worker = meetmind.worker
        return JSONResponse(
            {
                "status": "ok",
                "role": "worker",
                "worker_id": meetmind.node_id,
                "streams": sorted(worker.session_ids) if worker is not None else [],
            }
        )

    async def metrics(_request: Request) -> Response:
        body, content_type = metrics_response(registry)
        return Response(body, media_type=content_type)

    return Starlette(routes=[Route("/healthz", healthz), Route("/metrics", metrics)])


async def run_worker(settings: Settings, *, host: str, port: int) -> None:
    """Run a worker until SIGTERM or SIGINT, then drain (hand the streams over) and exit."""
    meetmind = MeetMind(settings, role="worker")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await meetmind.start()
        async with serve_app(worker_app(meetmind), host=host, port=port) as url:
            log.info("worker %s ready at %s", meetmind.node_id, url)
            print(json.dumps({"worker_id": meetmind.node_id, "url": url}), flush=True)
            await stop.wait()
            log.info("worker %s draining", meetmind.node_id)
    finally:
        await meetmind.close()
