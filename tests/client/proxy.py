"""A TCP proxy that can cut every open connection on command: a flaky network for real servers."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

_LAST_EVENT_ID = re.compile(rb"^last-event-id:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass
class CuttingProxy:
    """Forwards to ``upstream``; :meth:`cut` aborts all open connections (both sides).

    Attributes:
        url: Where clients connect.
        requests: The head of each request seen (first bytes a client sent), in order.
    """

    upstream_host: str
    upstream_port: int
    url: str = ""
    requests: list[bytes] = field(default_factory=list)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def last_event_ids(self) -> list[str | None]:
        """The ``Last-Event-ID`` of each request (None when absent)."""
        found = [_LAST_EVENT_ID.search(head) for head in self.requests]
        return [m.group(1).decode() if m else None for m in found]

    def cut(self) -> None:
        """Abort every open connection, as a dropped network would (no clean close)."""
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool
    ) -> None:
        first = record
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if first:
                    self.requests.append(data)
                    first = False
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        self._open.update({client_w, server_w})
        up = asyncio.create_task(self._pump(client_r, server_w, True), name="proxy-up")
        down = asyncio.create_task(self._pump(server_r, client_w, False), name="proxy-down")
        self._tasks.update({up, down})
        try:
            await asyncio.gather(up, down)
        finally:
            self._tasks.difference_update({up, down})
            self._open.difference_update({client_w, server_w})


@asynccontextmanager
async def cutting_proxy(upstream_url: str) -> AsyncIterator[CuttingProxy]:
    """A :class:`CuttingProxy` in front of ``http://host:port``, for the block's duration."""
    host, port = upstream_url.removeprefix("http://").rsplit(":", 1)
    proxy = CuttingProxy(host, int(port))
    server = await asyncio.start_server(proxy._handle, "127.0.0.1", 0)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with server:
            yield proxy
            proxy.cut()
            for task in list(proxy._tasks):
                task.cancel()
    finally:
        proxy.cut()
