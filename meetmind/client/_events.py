"""Following a session's live events without I/O: what to ask for, what to yield, when to retry.

:class:`EventFollower` is the state of one resumable stream. The sync and async clients only
open connections, feed it bytes, yield what it returns and sleep for the delays it names::

    follower = EventFollower(after, policy)
    while True:
        try:
            response = open(follower.headers())      # Last-Event-ID: last yielded id
            follower.connected(response)             # 2xx event stream, else raises
            for chunk in response:
                for event in follower.feed(chunk):   # whole messages only, never repeats
                    follower.delivered(event)
                    yield event
            follower.ended()                         # a clean end counts as a drop
        except MeetMindClientError as exc:
            sleep(follower.failed(exc))              # raises when fatal or out of attempts
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import NoReturn
from urllib.parse import quote

import httpx

from meetmind.client._errors import DecodingError, MeetMindClientError, TransportError
from meetmind.client._models import Event
from meetmind.client._sse import ReconnectPolicy, ServerSentEvent, SSEDecoder

__all__ = ["EventFollower", "StreamEndedError", "events_path", "to_event"]


class StreamEndedError(TransportError):
    """The server ended the event stream; the client reconnects (events have no end)."""


def events_path(session_id: str) -> str:
    """``GET /api/v1/sdk/sessions/{id}/events`` (``text/event-stream``)."""
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("an id must be a non-empty string")
    return f"/api/v1/sdk/sessions/{quote(session_id, safe='')}/events"


def to_event(message: ServerSentEvent) -> Event:
    """The typed event a stream message carries in its ``data``."""
    try:
        data = json.loads(message.data)
    except ValueError as exc:
        raise DecodingError(f"event data is not JSON: {message.data[:100]!r}") from exc
    return Event.from_json(data)


class EventFollower:
    """The state of one resumable event stream.

    Args:
        after: Yield only events after this id (None: from the start of the session's feed).
        policy: Reconnection delays, limits and what counts as retryable.
    """

    def __init__(self, after: int | None, policy: ReconnectPolicy) -> None:
        self.last_id = after
        """The id of the last event handed out; the resume point."""
        self.policy = policy
        self._delays: Iterator[float] = policy.delays()
        self._decoder = SSEDecoder()
        self._seen = after
        self._server_retry: float | None = None

    @property
    def timeout(self) -> httpx.Timeout:
        """Per-connection timeout: silence longer than ``idle_timeout`` means a dead connection."""
        return httpx.Timeout(self.policy.idle_timeout, connect=self.policy.connect_timeout)

    def headers(self) -> dict[str, str]:
        """Headers for the next connection; ``Last-Event-ID`` resumes after the last event."""
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        return headers

    def connected(self, response: httpx.Response) -> None:
        """A connection answered 2xx: check it is an event stream; attempts start over."""
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            raise DecodingError(f"expected text/event-stream, got {kind or 'no content type'}")
        self._decoder = SSEDecoder()
        self._seen = self.last_id
        self._delays = self.policy.delays()

    def feed(self, chunk: bytes) -> list[Event]:
        """Events completed by ``chunk``, in order, skipping any already handed out.

        The caller passes each to :meth:`delivered` as it yields it, before reading on.
        """
        events: list[Event] = []
        for message in self._decoder.feed(chunk):
            event = to_event(message)
            if self._seen is not None and event.id <= self._seen:
                continue
            self._seen = event.id
            events.append(event)
        if self._decoder.retry is not None:
            self._server_retry = self._decoder.retry / 1000
        return events

    def delivered(self, event: Event) -> None:
        """``event`` goes to the caller now: it becomes the resume point."""
        self.last_id = event.id

    def ended(self) -> NoReturn:
        """The server closed the stream cleanly; raises :class:`StreamEndedError` to reconnect."""
        raise StreamEndedError("the server closed the event stream")

    def failed(self, exc: MeetMindClientError) -> float:
        """Seconds to wait before reconnecting after ``exc``; raises it when it is fatal."""
        fatal = self.policy.classify(exc)
        if fatal is not None:
            raise fatal
        delay = next(self._delays, None)
        if delay is None:
            raise exc
        if self._server_retry is not None:
            delay = max(delay, min(self._server_retry, self.policy.max_delay))
        return delay
