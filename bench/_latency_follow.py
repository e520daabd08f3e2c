"""SSE followers for ``bench latency``: one raw HTTP/1.1 connection per session, cheap at 500.

Each follower is an :class:`asyncio.Protocol`: it stamps ``time.monotonic()`` the moment bytes
arrive (``data_received``), undoes the chunked transfer coding, and feeds MeetMind's own
:class:`~meetmind.client.SSEDecoder`. For each ``transcript.turn`` event it keeps the first
arrival time under the key the simulator's send log uses: ``(meeting_id, user_id, start_ms)``.
No httpx here, so the client costs little CPU per event and adds no queueing of its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field

from meetmind.client import SSEDecoder

__all__ = ["Arrivals", "Follower", "follow"]

TurnKey = tuple[int, str, int]


@dataclass
class Arrivals:
    """What every follower saw, shared by all of them."""

    turns: dict[TurnKey, tuple[float, str]] = field(default_factory=dict)
    """First arrival (monotonic s) and the event's ``created_at`` per turn."""
    types: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


class Follower(asyncio.Protocol):
    """``GET /api/v1/sdk/sessions/{id}/events`` on one connection, until closed."""

    def __init__(
        self, session_id: str, meeting_id: int, host: str, api_key: str, sink: Arrivals
    ) -> None:
        self.session_id = session_id
        self.meeting_id = meeting_id
        self.request = (
            f"GET /api/v1/sdk/sessions/{session_id}/events HTTP/1.1\r\n"
            f"Host: {host}\r\nAuthorization: Bearer {api_key}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
        ).encode()
        self.sink = sink
        self.decoder = SSEDecoder()
        self.transport: asyncio.Transport | None = None
        self.raw = bytearray()
        self.headers_done = False
        self.chunked = False
        self.left = 0  # bytes of the current chunk still to come
        self.skip = 0  # bytes of the CRLF after a chunk still to drop
        self.first_turn = asyncio.Event()
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the request."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        """Stamp the arrival, then decode whatever the bytes complete."""
        now = time.monotonic()
        self.raw += data
        if not self.headers_done:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.raw[:end]).decode("latin-1").lower()
            del self.raw[: end + 4]
            self.headers_done = True
            status = head.split("\r\n", 1)[0]
            if " 200 " not in status + " ":
                self.sink.errors.append(f"{self.session_id}: {status}")
                self._close()
                return
            self.chunked = "transfer-encoding: chunked" in head
        body = self._dechunk() if self.chunked else self._all()
        if not body:
            return
        for message in self.decoder.feed(body):
            self.sink.types[message.event] += 1
            if message.event != "transcript.turn":
                continue
            event = json.loads(message.data)
            payload = event["payload"]
            if payload.get("role") != "participant":
                continue
            key = (self.meeting_id, str(payload.get("speaker_id")), int(payload["start_ms"]))
            self.sink.turns.setdefault(key, (now, str(event.get("created_at", ""))))
            self.first_turn.set()

    def _all(self) -> bytes:
        body = bytes(self.raw)
        self.raw.clear()
        return body

    def _dechunk(self) -> bytes:
        raw, out = self.raw, bytearray()
        while raw:
            if self.left:
                take = min(self.left, len(raw))
                out += raw[:take]
                del raw[:take]
                self.left -= take
                if not self.left:
                    self.skip = 2
            elif self.skip:
                take = min(self.skip, len(raw))
                del raw[:take]
                self.skip -= take
            else:
                eol = raw.find(b"\r\n")
                if eol < 0:
                    break
                size = int(bytes(raw[:eol]).split(b";", 1)[0], 16)
                del raw[: eol + 2]
                if size == 0:
                    self._close()
                    break
                self.left = size
        return bytes(out)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """The stream ended (we closed it, or the server did)."""
        if not self.done.done():
            self.done.set_result(None)

    def close(self) -> None:
        """Stop following."""
        self._close()


async def follow(
    host: str, port: int, session_id: str, meeting_id: int, api_key: str, sink: Arrivals
) -> Follower:
    """Open one follower's connection (the request goes out at once)."""
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: Follower(session_id, meeting_id, f"{host}:{port}", api_key, sink), host, port
    )
    return protocol
