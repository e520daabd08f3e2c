"""The edge where httpx errors become MeetMind errors (and nothing of httpx leaks past it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from meetmind.domain.errors import ZoomUnavailableError

__all__ = ["map_transport_errors", "zoom_error_body"]


@contextmanager
def map_transport_errors(what: str) -> Iterator[None]:
    """Turn connection failures and time-outs while doing ``what`` into ZoomUnavailableError."""
    try:
        yield
    except httpx.TimeoutException as exc:
        error = ZoomUnavailableError(f"Zoom timed out during {what}", details={"cause": "timeout"})
        error.http_status = 504
        raise error from exc
    except httpx.TransportError as exc:
        raise ZoomUnavailableError(
            f"could not reach Zoom for {what}: {type(exc).__name__}",
            details={"cause": "network"},
        ) from exc


def zoom_error_body(response: httpx.Response) -> dict[str, Any]:
    """Zoom's error JSON (``{"code", "message"}`` or ``{"error", "reason"}``), or ``{}``."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
