"""The ASGI application: assembles routers, error handlers and the SDK's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from meetmind import __version__
from meetmind.api.errors import install_error_handlers
from meetmind.api.limits import BodySizeLimitMiddleware
from meetmind.api.routes import events, health, metrics, sessions, webhooks, zoom
from meetmind.sdk import MeetMind
from meetmind.web.routes import mount_web

__all__ = ["create_app"]


def create_app(meetmind: MeetMind, *, manage_lifecycle: bool = True) -> FastAPI:
    """The HTTP API over ``meetmind``.

    Args:
        meetmind: the SDK the routes call.
        manage_lifecycle: open and close the SDK with the app (False when the caller owns it).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await meetmind.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await meetmind.close()

    app = FastAPI(
        title="MeetMind",
        version=__version__,
        summary="Put an agent into live Zoom meetings through RTMS.",
        lifespan=lifespan,
    )
    app.state.meetmind = meetmind
    app.add_middleware(
        BodySizeLimitMiddleware, max_body_bytes=meetmind.settings.max_request_body_bytes
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(sessions.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(zoom.router)
    mount_web(app)
    return app
