"""The live dashboard at ``/`` and its assets under ``/static`` (no build step, no bundler).

The page is plain HTML, CSS and JavaScript modules; it signs in with an API key and talks to the
same REST API and live feed as any other client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "mount_web", "router"]

STATIC_DIR = Path(__file__).with_name("static")
"""Where the dashboard's files are (package data)."""

_STATIC_MOUNT = "web-static"
_PAGE_HEADERS = {
    # Everything the page loads comes from this server; no inline script or style is allowed, so
    # text that slipped into markup could still not run.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def dashboard() -> FileResponse:
    """The dashboard's single page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_PAGE_HEADERS)


def mount_web(app: FastAPI) -> None:
    """Serve the dashboard from ``app``: the page at ``/``, its assets at ``/static``.

    Calling it again on the same app does nothing.
    """
    if any(getattr(route, "name", None) == _STATIC_MOUNT for route in app.routes):
        return
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name=_STATIC_MOUNT)
