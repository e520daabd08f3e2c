"""Run an ASGI app on a real socket inside the current event loop (tests, demo, cluster)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

__all__ = ["RedactCredentials", "redact_server_logs", "serve_app"]

_QUERY_SECRET = re.compile(r"([?&](?:access_token|code|state)=)[^&#\s\"]*", re.IGNORECASE)
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_REDACTED = "[redacted]"


def _redact(text: str) -> str:
    return _QUERY_SECRET.sub(rf"\1{_REDACTED}", text)


class RedactCredentials(logging.Filter):
    """Blank the credentials that uvicorn's request logs would print.

    * URLs: ``?access_token=`` (an API key, sent so by EventSource and WebSocket clients) and
      the OAuth callback's ``code`` and ``state``, in the access log and in the WebSocket lines
      (``uvicorn.error``).
    * Headers: at DEBUG the WebSocket handshake is logged a header a line (``< %s: %s``), the
      API key's ``Authorization`` among them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            if len(args) == 2 and isinstance(args[0], str) and args[0].lower() in _SECRET_HEADERS:
                args = (args[0], _REDACTED)
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(record.msg, str) and not args:
            record.msg = _redact(record.msg)
        return True


def redact_server_logs() -> None:
    """Put :class:`RedactCredentials` on uvicorn's loggers (once; call after uvicorn's own
    logging setup, which keeps logger filters)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(RedactCredentials())


@asynccontextmanager
async def serve_app(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    lifespan: Literal["auto", "on", "off"] = "on",
) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields its base URL (port 0 picks a free one)."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say they are TCP
    # (accepted ones inherit it), and without it every response waits ~40 ms for delayed ACKs.
    sock = socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
        ws="websockets-sansio",
        timeout_graceful_shutdown=5,
    )
    redact_server_logs()
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn:{bound_port}")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the server stopped before it started")
            await asyncio.sleep(0.005)
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{bound_port}"
    finally:
        server.should_exit = True
        try:
            done, _ = await asyncio.wait({task}, timeout=10)
            if not done:  # a handler ignored shutdown (e.g. a stuck stream): stop waiting for it
                server.force_exit = True
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            sock.close()
