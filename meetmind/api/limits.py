"""A cap on request bodies: a pure-ASGI middleware answering 413 in the API's JSON error shape.

The declared ``Content-Length`` is checked before the application runs; a body sent without
one (chunked) is counted while the application reads it, and reading past the limit raises
:class:`PayloadTooLargeError` out of ``receive``. That is an ``HTTPException``, so FastAPI's
body parsing passes it through and the API's error handlers turn it into the usual
``{"error": {...}}`` body; anything else that lets it escape is answered here, as long as no
response has started.
"""

from __future__ import annotations

import json
import logging

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meetmind.api.errors import error_body

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BodySizeLimitMiddleware", "PayloadTooLargeError"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""1 MiB: far above any request the API takes (sessions, webhooks, Zoom's events)."""


class PayloadTooLargeError(HTTPException):
    """The request body is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


class BodySizeLimitMiddleware:
    """Refuse HTTP request bodies larger than ``max_body_bytes`` with ``413 payload_too_large``.

    Args:
        app: the application to protect.
        max_body_bytes: the largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLargeError:
            if started:  # too late for a 413; the server closes the connection
                log.info("request body over %d bytes after the response started", limit)
                return
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(send: Send, limit: int) -> None:
    # The connection is kept: the server discards the rest of the body as it arrives, and the
    # client, which sends its whole body before reading, gets this answer instead of a reset.
    body = json.dumps(
        error_body(
            "payload_too_large",
            f"the request body is larger than {limit} bytes",
            {"limit": limit},
        ),
        separators=(",", ":"),
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
