"""Live events over a real socket: a feed server that drops connections mid-stream, on purpose.

The server below speaks the events contract (``id``/``event``/``data`` messages, ``: ping``
keep-alives, resume after ``Last-Event-ID`` or ``?after=``) and follows a script per connection:
send some events, maybe half of the next one, then crash, close, fail with an error status, or
go silent. The client must hand out every event exactly once, in order, resuming each time from
the last event it yielded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from meetmind.client import (
    ApiError,
    AsyncMeetMindClient,
    AuthenticationError,
    Event,
    MeetMindClient,
    NotFoundError,
    ReconnectPolicy,
    RequestTimeoutError,
)
from meetmind.serving import serve_app

SESSION = "ses_live"
FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05, idle_timeout=10)


@dataclass(frozen=True)
class Step:
    """What the server does on one connection.

    Attributes:
        send: How many events to send (None: all there are).
        then: ``crash`` (abort mid-body), ``close`` (end the body cleanly), ``hang`` (send nothing
            more, not even keep-alives) or ``live`` (keep-alives until the client leaves).
        partial: Send the first half of the next event before ``then``.
        status: Answer this error status instead of a stream.
    """

    send: int | None = None
    then: Literal["crash", "close", "hang", "live"] = "live"
    partial: bool = False
    status: int | None = None


def frame(event: dict[str, object]) -> bytes:
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


@dataclass
class FeedServer:
    """An events endpoint for one session with ``total`` events and a script of connections."""

    total: int
    script: list[Step]
    resumed_from: list[str | None] = field(default_factory=list)
    """``Last-Event-ID`` of each connection, in order."""
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def events(self) -> list[dict[str, object]]:
        return [
            {
                "id": i,
                "type": "transcript.turn" if i % 3 else "session.status",
                "session_id": SESSION,
                "created_at": f"2025-01-02T03:04:{i % 60:02d}.5Z",
                "payload": {"n": i, "text": f"turn {i} — é"},
            }
            for i in range(1, self.total + 1)
        ]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/sdk/sessions/{session_id}/events")
        async def events(session_id: str, request: Request) -> Response:
            if request.headers.get("authorization") != "Bearer mm_test":
                return _error(401, "unauthorized")
            if session_id != SESSION:
                return _error(404, "not_found")
            connection = len(self.resumed_from)
            header = request.headers.get("last-event-id")
            self.resumed_from.append(header)
            step = self.script[connection] if connection < len(self.script) else Step()
            if step.status is not None:
                return _error(step.status, "unavailable")
            after = int(header or request.query_params.get("after") or 0)
            pending = [e for e in self.events if int(str(e["id"])) > after]
            return StreamingResponse(self._body(step, pending), media_type="text/event-stream")

        return app

    async def _body(self, step: Step, pending: list[dict[str, object]]) -> AsyncIterator[bytes]:
        try:
            yield b": ping\n\n"
            count = len(pending) if step.send is None else step.send
            for event in pending[:count]:
                yield frame(event)
            if step.partial and len(pending) > count:
                whole = frame(pending[count])
                yield whole[: len(whole) // 2]
            if step.then == "crash":
                raise ConnectionResetError("the feed server crashed on purpose")
            if step.then == "close":
                return
            while True:
                await asyncio.sleep(0.02)
                if step.then == "live":
                    yield b": ping\n\n"
        finally:
            self.closed.set()


def _error(status: int, code: str) -> JSONResponse:
    body = {"error": {"code": code, "message": f"{code} on purpose", "details": {}}}
    return JSONResponse(body, status_code=status)


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    got: list[Event] = []
    async for event in stream:
        got.append(event)
        if len(got) == count:
            break
    return got


def assert_exactly_once_in_order(got: list[Event], server: FeedServer) -> None:
    expected = server.events
    assert [e.id for e in got] == [e["id"] for e in expected]
    for event, sent in zip(got, expected, strict=True):
        assert event.type == sent["type"]
        assert event.session_id == SESSION
        assert event.payload == sent["payload"]
        assert event.created_at.isoformat().startswith("2025-01-02T03:04:")


CHAOS = [
    Step(send=3, partial=True, then="crash"),  # abort mid-message
    Step(send=2, then="close"),  # clean end of the body
    Step(status=503),  # the server is briefly unavailable
    Step(send=0, then="close"),  # a connection that brings nothing
    Step(send=4, partial=True, then="close"),  # half a message, then a clean end
    Step(send=1, then="crash"),
    Step(),  # the rest, then keep-alives until the client leaves
]
CHAOS_RESUMES = [None, "3", "5", "5", "5", "9", "10"]


async def test_async_stream_resumes_after_every_kind_of_drop() -> None:
    server = FeedServer(total=14, script=CHAOS)
    async with (
        serve_app(server.app()) as url,
        AsyncMeetMindClient(url, api_key="mm_test", reconnect=FAST) as client,
        client.events(SESSION) as stream,
    ):
        got = await take(stream, 14)
        assert stream.last_event_id == 14
    assert_exactly_once_in_order(got, server)
    assert server.resumed_from == CHAOS_RESUMES


async def test_sync_stream_resumes_after_every_kind_of_drop() -> None:
    server = FeedServer(total=14, script=CHAOS)

    def follow(url: str) -> tuple[list[Event], int | None]:
        got: list[Event] = []
        with (
            MeetMindClient(url, api_key="mm_test", reconnect=FAST) as client,
            client.events(SESSION) as stream,
        ):
            for event in stream:
                got.append(event)
                if len(got) == 14:
                    break
            return got, stream.last_event_id

    async with serve_app(server.app()) as url:
        got, last = await asyncio.to_thread(follow, url)
    assert last == 14
    assert_exactly_once_in_order(got, server)
    assert server.resumed_from == CHAOS_RESUMES


async def test_after_starts_past_an_id_and_a_silent_connection_is_replaced() -> None:
    server = FeedServer(total=8, script=[Step(send=2, then="hang")])
    policy = ReconnectPolicy(initial_delay=0.01, idle_timeout=0.3)
    async with (
        serve_app(server.app()) as url,
        AsyncMeetMindClient(url, api_key="mm_test", reconnect=policy) as client,
        client.events(SESSION, after=3) as stream,
    ):
        got = await take(stream, 5)
    assert [e.id for e in got] == [4, 5, 6, 7, 8]
    assert server.resumed_from == ["3", "5"]


async def test_leaving_the_stream_closes_the_connection() -> None:
    server = FeedServer(total=3, script=[])
    async with serve_app(server.app()) as url, AsyncMeetMindClient(url, api_key="mm_test") as mm:
        async with mm.events(SESSION) as stream:
            assert [e.id for e in await take(stream, 2)] == [1, 2]
        await asyncio.wait_for(server.closed.wait(), timeout=10)
        assert server.resumed_from == [None]


@pytest.mark.parametrize(
    ("session", "key", "error", "status"),
    [
        ("ses_other", "mm_test", NotFoundError, 404),
        (SESSION, "mm_wrong", AuthenticationError, 401),
    ],
)
async def test_errors_before_the_stream_are_raised_without_retrying(
    session: str, key: str, error: type[ApiError], status: int
) -> None:
    server = FeedServer(total=3, script=[])
    async with serve_app(server.app()) as url, AsyncMeetMindClient(url, api_key=key) as client:
        with pytest.raises(error) as caught:
            await take(client.events(session, reconnect=FAST), 1)
    assert caught.value.status == status
    assert caught.value.message.endswith("on purpose")
    assert len(server.resumed_from) <= 1


async def test_the_policy_gives_up_after_max_retries() -> None:
    server = FeedServer(total=3, script=[Step(status=503)] * 10)
    policy = ReconnectPolicy(initial_delay=0.01, max_retries=2)
    async with serve_app(server.app()) as url, AsyncMeetMindClient(url, api_key="mm_test") as mm:
        with pytest.raises(ApiError) as caught:
            await take(mm.events(SESSION, reconnect=policy), 1)
    assert (caught.value.status, caught.value.code) == (503, "unavailable")
    assert server.resumed_from == [None, None, None]


async def test_silence_is_a_timeout_when_no_retry_is_allowed() -> None:
    server = FeedServer(total=3, script=[Step(send=1, then="hang")])
    policy = ReconnectPolicy(idle_timeout=0.2, max_retries=0)
    async with serve_app(server.app()) as url, AsyncMeetMindClient(url, api_key="mm_test") as mm:
        stream = mm.events(SESSION, reconnect=policy)
        assert [e.id for e in await take(stream, 1)] == [1]
        with pytest.raises(RequestTimeoutError):
            await anext(stream)
        await stream.aclose()
