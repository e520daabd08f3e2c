"""The asynchronous client: :class:`AsyncMeetMindClient`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from enum import Enum
from types import TracebackType
from typing import Self, TypeVar

import httpx

from meetmind.client import _calls as calls
from meetmind.client._errors import (
    ClientClosedError,
    MeetMindClientError,
    api_error,
    map_transport_errors,
)
from meetmind.client._events import EventFollower, events_path
from meetmind.client._models import (
    AuthorizeLink,
    Disconnection,
    Event,
    Installation,
    Page,
    RtmsControlResult,
    Session,
    TranscriptTurn,
)
from meetmind.client._sse import ReconnectPolicy

__all__ = ["AsyncEventStream", "AsyncMeetMindClient"]

T = TypeVar("T")


class ClientState(Enum):
    """Whether a client may still send requests."""

    OPEN = "open"
    CLOSED = "closed"


class AsyncEventStream:
    """A session's live events as an async iterator that reconnects and resumes by itself.

    Use it in ``async with`` (or call :meth:`aclose`) so the connection closes as soon as you
    stop; breaking out of a bare ``async for`` leaves the closing to the garbage collector.
    """

    def __init__(self, events: AsyncGenerator[Event, None], follower: EventFollower) -> None:
        self._events = events
        self._follower = follower

    @property
    def last_event_id(self) -> int | None:
        """The id of the last event yielded (where a later ``events(after=...)`` resumes)."""
        return self._follower.last_id

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        return await anext(self._events)

    async def aclose(self) -> None:
        """Stop and close the connection."""
        await self._events.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncMeetMindClient:
    """The MeetMind REST API over httpx, for asyncio code.

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8000`` (default: ``MEETMIND_URL``, else that).
        api_key: A tenant's API key (default: ``MEETMIND_API_KEY``).
        timeout: Per-request timeout (default 30 s, 10 s to connect; None: wait forever).
        transport: An httpx transport to send through (tests, proxies, retries).
        http_client: An httpx client to use instead of an own one; it is not closed here.
        reconnect: How :meth:`events` reconnects (default :class:`ReconnectPolicy`).

    Raises:
        ValueError: when both ``transport`` and ``http_client`` are given.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: calls.TimeoutArg = calls.DEFAULT,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        if transport is not None and http_client is not None:
            raise ValueError("pass either transport or http_client, not both")
        self._config = calls.ClientConfig.of(base_url, api_key, timeout, http_client)
        self.base_url = self._config.base_url
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=self._config.timeout
        )
        self.reconnect = reconnect or ReconnectPolicy()
        self._state = ClientState.OPEN

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the client (and its httpx client, if it made it). Idempotent."""
        if self._state is ClientState.CLOSED:
            return
        self._state = ClientState.CLOSED
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _check_open(self) -> None:
        if self._state is ClientState.CLOSED:
            raise ClientClosedError("the client is closed")

    async def _send(self, call: calls.Call[T]) -> T:
        self._check_open()
        request = self._config.call(self._http, call)
        with map_transport_errors():
            response = await self._http.send(request)
        return calls.handle(call, response)

    # -- sessions ----------------------------------------------------------------------------

    async def create_session(
        self,
        meeting_id: str,
        *,
        platform: str = "zoom",
        meeting_url: str | None = None,
        agent_name: str | None = None,
        wake_words: list[str] | None = None,
        record_audio: bool = False,
    ) -> Session:
        """Create a session for a meeting (it starts ``created``).

        Raises:
            InvalidInputError: a value is malformed (``field`` names it).
        """
        return await self._send(
            calls.create_session(
                platform=platform,
                meeting_id=meeting_id,
                meeting_url=meeting_url,
                agent_name=agent_name,
                wake_words=wake_words,
                record_audio=record_audio,
            )
        )

    async def get_session(self, session_id: str) -> Session:
        """One session.

        Raises:
            NotFoundError: no such session for this tenant.
        """
        return await self._send(calls.get_session(session_id))

    async def list_sessions(
        self,
        *,
        status: str | None = None,
        platform: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Session]:
        """A page of sessions, newest first; pass ``next_cursor`` back as ``cursor``."""
        return await self._send(
            calls.list_sessions(status=status, platform=platform, cursor=cursor, limit=limit)
        )

    async def iter_sessions(
        self, *, status: str | None = None, platform: str | None = None, page_size: int = 100
    ) -> AsyncIterator[Session]:
        """Every matching session, newest first, fetching pages as needed."""
        cursor: str | None = None
        while True:
            page = await self.list_sessions(
                status=status, platform=platform, cursor=cursor, limit=page_size
            )
            for session in page.items:
                yield session
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def end_session(self, session_id: str) -> Session:
        """End a session.

        Raises:
            ConflictError: it has ended already (``code`` ``illegal_transition``).
        """
        return await self._send(calls.end_session(session_id))

    async def delete_session(self, session_id: str) -> None:
        """Delete a session and everything recorded for it."""
        await self._send(calls.delete_session(session_id))

    # -- transcript --------------------------------------------------------------------------

    async def transcript(
        self, session_id: str, *, after: str | None = None, limit: int = 100
    ) -> Page[TranscriptTurn]:
        """A page of the transcript in speaking order; ``after`` is a previous ``next_cursor``."""
        return await self._send(calls.transcript(session_id, after=after, limit=limit))

    async def iter_transcript(
        self, session_id: str, *, after: str | None = None, page_size: int = 100
    ) -> AsyncIterator[TranscriptTurn]:
        """Every stored turn after ``after``, in speaking order, fetching pages as needed."""
        while True:
            page = await self.transcript(session_id, after=after, limit=page_size)
            for turn in page.items:
                yield turn
            if page.next_cursor is None:
                return
            after = page.next_cursor

    # -- RTMS control ------------------------------------------------------------------------

    async def start_rtms(
        self, session_id: str, *, participant_user_id: str | None = None
    ) -> RtmsControlResult:
        """Ask Zoom to start streaming the session's meeting to MeetMind.

        Returns:
            ``(session, zoom)``: the session after the request, and Zoom's answer.

        Raises:
            ConflictError: the session's state forbids it, or Zoom is not connected.
            ZoomError: Zoom refused or failed (``zoom_code`` says why).
        """
        return await self._rtms(session_id, "start", participant_user_id)

    async def stop_rtms(
        self, session_id: str, *, participant_user_id: str | None = None
    ) -> RtmsControlResult:
        """Ask Zoom to stop the stream (the session ends when Zoom confirms)."""
        return await self._rtms(session_id, "stop", participant_user_id)

    async def pause_rtms(
        self, session_id: str, *, participant_user_id: str | None = None
    ) -> RtmsControlResult:
        """Pause the stream (the session becomes ``paused``)."""
        return await self._rtms(session_id, "pause", participant_user_id)

    async def resume_rtms(
        self, session_id: str, *, participant_user_id: str | None = None
    ) -> RtmsControlResult:
        """Resume a paused stream (the session is ``listening`` again)."""
        return await self._rtms(session_id, "resume", participant_user_id)

    async def _rtms(
        self, session_id: str, action: str, participant_user_id: str | None
    ) -> RtmsControlResult:
        return await self._send(
            calls.control_rtms(session_id, action, participant_user_id=participant_user_id)
        )

    # -- Zoom connection ---------------------------------------------------------------------

    async def zoom_authorize_url(self) -> AuthorizeLink:
        """A fresh install link to open in the Zoom user's browser (single use, 10 minutes)."""
        return await self._send(calls.zoom_authorize_url())

    async def zoom_installation(self) -> Installation:
        """This tenant's Zoom installation.

        Raises:
            NotFoundError: Zoom is not connected.
        """
        return await self._send(calls.zoom_installation())

    async def zoom_disconnect(self) -> Disconnection:
        """Revoke the Zoom grant and delete the tokens."""
        return await self._send(calls.zoom_disconnect())

    # -- live events -------------------------------------------------------------------------

    def events(
        self, session_id: str, *, after: int | None = None, reconnect: ReconnectPolicy | None = None
    ) -> AsyncEventStream:
        """A session's live events, resuming by itself after a dropped connection.

        Each reconnection sends ``Last-Event-ID`` (the last event yielded), so every event comes
        exactly once, in order. The stream has no end: stop by breaking out (inside
        ``async with``) or by cancelling.

        Args:
            session_id: The session to follow.
            after: Start after this event id (None: from the session's first event).
            reconnect: Overrides the client's :class:`ReconnectPolicy`.

        Raises:
            AuthenticationError, NotFoundError: at the first connection (never retried).
            MeetMindClientError: when the policy gives up (its last error).
        """
        path = events_path(session_id)
        follower = EventFollower(after, reconnect or self.reconnect)
        return AsyncEventStream(self._follow(path, follower), follower)

    async def _follow(self, path: str, follower: EventFollower) -> AsyncGenerator[Event, None]:
        while True:
            self._check_open()
            try:
                request = self._config.request(
                    self._http, "GET", path, headers=follower.headers(), timeout=follower.timeout
                )
                with map_transport_errors():
                    response = await self._http.send(request, stream=True)
                try:
                    if response.is_error:
                        with map_transport_errors():
                            body = await response.aread()
                        raise api_error(response.status_code, body, response.reason_phrase)
                    follower.connected(response)
                    chunks = response.aiter_bytes()
                    while True:
                        with map_transport_errors():
                            chunk = await anext(chunks, None)
                        if chunk is None:
                            follower.ended()
                        for event in follower.feed(chunk):
                            follower.delivered(event)
                            yield event
                finally:
                    await response.aclose()
            except MeetMindClientError as exc:
                await asyncio.sleep(follower.failed(exc))
