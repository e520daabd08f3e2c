"""The simulator's HTTP side: one FastAPI app (OAuth, REST, admin) served by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from meetmind.domain.errors import MeetMindError
from meetmind.sim.admin import admin_router, error_response
from meetmind.sim.oauth import oauth_router
from meetmind.sim.rest import rest_router

if TYPE_CHECKING:
    from meetmind.sim.simulator import Simulator

__all__ = ["HttpServer", "build_app"]


def build_app(sim: Simulator) -> FastAPI:
    """The ASGI app: ``/oauth``, ``/v2`` and ``/sim`` (also usable with ``httpx.ASGITransport``)."""
    app = FastAPI(title="MeetMind Zoom simulator", version="1")
    app.include_router(oauth_router(sim.oauth))
    app.include_router(rest_router(sim.ctx, sim.oauth, sim.rest_faults))
    app.include_router(admin_router(sim))

    @app.exception_handler(MeetMindError)
    async def meetmind_error(_request: Request, exc: MeetMindError) -> JSONResponse:
        return error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_input", str(exc.errors()))

    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process that embeds the simulator owns its signals (pytest, the CLI).
        yield


class HttpServer:
    """Runs an ASGI app on ``host:port`` (0 = ephemeral) inside the current event loop."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self._config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = _Server(self._config)
        self._host = host
        self._port = port
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> None:
        """Bind and start serving."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]
        self._task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[sock]), name="sim-http"
        )
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)  # polling uvicorn's start-up flag (real time on purpose)

    async def stop(self) -> None:
        """Stop serving."""
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
