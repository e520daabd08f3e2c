"""A session's live feed: Server-Sent Events and a WebSocket twin, both resumable.

Each event carries an id that grows within the session. Reconnect with ``Last-Event-ID`` (SSE)
or ``?after=`` (both) to receive what was missed from the database, then live events, with no
gap and no duplicate. Browsers cannot set headers on EventSource/WebSocket, so these two routes
also accept the API key as ``?access_token=``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from meetmind.api.deps import OBJECT_ID_PATTERN, MeetMindDep, ObjectId, get_meetmind
from meetmind.api.schemas import ErrorBody
from meetmind.domain.errors import AuthenticationError, InvalidInputError, MeetMindError
from meetmind.domain.models import FeedEvent
from meetmind.sdk import TenantScope

router = APIRouter(prefix="/api/v1/sdk/sessions", tags=["events"])
_errors: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 404, 422)
}

KEEPALIVE_SECONDS = 15.0
MAX_EVENT_ID = 2**63 - 1
"""Event ids are 64-bit database integers; a larger resume point is refused as input."""


def event_json(event: FeedEvent) -> dict[str, object]:
    """The JSON form of a feed event (SSE ``data`` and WebSocket message)."""
    return {
        "id": event.id,
        "type": event.type,
        "session_id": event.session_id,
        "created_at": event.created_at.isoformat(),
        "payload": event.payload,
    }


def _bearer(authorization: str | None, access_token: str | None) -> str:
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials:
            return credentials.strip()
    if access_token:
        return access_token
    raise AuthenticationError(
        "missing API key: send `Authorization: Bearer <key>` or `?access_token=<key>`"
    )


def _resume_point(after: int | None, last_event_id: str | None) -> int:
    if after is not None:
        return after
    if last_event_id is None or not last_event_id.strip():
        return 0
    try:
        value = int(last_event_id.strip())
    except ValueError:
        raise InvalidInputError("Last-Event-ID", "must be an event id this feed sent") from None
    if not 0 <= value <= MAX_EVENT_ID:
        raise InvalidInputError("Last-Event-ID", "must be a non-negative event id")
    return value


_FEED_TASKS: set[asyncio.Task[None]] = set()
"""Feeds being read, and feeds of clients that left finishing their current step."""


async def _cancel_safe(
    feed: AsyncIterator[FeedEvent | None], *, name: str
) -> AsyncIterator[FeedEvent | None]:
    """Iterate ``feed`` so that a client leaving never interrupts one of its steps.

    A feed step may be inside a database transaction, and interrupting it there is harmful: on
    SQLite the connection is abandoned holding the write lock, and every other request waits
    for ``busy_timeout`` and fails. Starlette stops a streaming response by cancelling a task
    group (a cancellation that also hits every later ``await``), and the WebSocket route
    cancels its sender. So each step runs in a task of its own: when the reader goes away the
    current step is left to reach its next event or keep-alive (at most ``KEEPALIVE_SECONDS``),
    and the feed is closed there.
    """
    queue: asyncio.Queue[tuple[FeedEvent | None, BaseException | None]] = asyncio.Queue(1)

    async def pump() -> None:
        step: asyncio.Future[FeedEvent | None] | None = None
        try:
            while True:
                step = asyncio.ensure_future(feed.__anext__())
                event = await asyncio.shield(step)
                await queue.put((event, None))
        except StopAsyncIteration as end:
            await queue.put((None, end))
        except asyncio.CancelledError:
            if step is not None and not step.done():
                with contextlib.suppress(BaseException):
                    await step  # the reader left: finish this step, then close the feed
        except Exception as exc:
            await queue.put((None, exc))
        finally:
            close = getattr(feed, "aclose", None)  # an async generator: leave its blocks
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    task = asyncio.create_task(pump(), name=name)
    _FEED_TASKS.add(task)
    task.add_done_callback(_FEED_TASKS.discard)
    try:
        while True:
            event, error = await queue.get()
            if isinstance(error, StopAsyncIteration):
                return
            if error is not None:
                raise error
            yield event
    finally:
        task.cancel()


@router.get(
    "/{session_id}/events",
    responses={**_errors, 200: {"content": {"text/event-stream": {}}}},
    response_class=StreamingResponse,
)
async def stream_events(
    session_id: ObjectId,
    request: Request,
    meetmind: MeetMindDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="Resume after this event id.")
    ] = None,
    access_token: Annotated[str | None, Query(max_length=200)] = None,
    authorization: Annotated[str | None, Header()] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
) -> StreamingResponse:
    """Server-Sent Events: every event after the resume point, then live ones."""
    tenant = await meetmind.authenticate(_bearer(authorization, access_token))
    start = _resume_point(after, last_event_id)
    await tenant.get_session(session_id)  # errors are JSON, before the stream starts

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        feed = tenant.follow(session_id, after=start, keepalive=KEEPALIVE_SECONDS)
        async for event in _cancel_safe(feed, name=f"feed-sse:{session_id}"):
            if event is None:
                yield b": ping\n\n"
                continue
            data = json.dumps(event_json(event), separators=(",", ":"))
            yield f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.websocket("/{session_id}/events/ws")
async def websocket_events(
    websocket: WebSocket,
    session_id: str,
    after: int = 0,
    access_token: str | None = None,
) -> None:
    """The same feed over a WebSocket: one JSON text message per event, pings as ``{"type":
    "ping"}``. Errors close the socket with code 4401 (auth), 4404 (session) or 4422 (input).
    """
    meetmind = get_meetmind(websocket)  # type: ignore[arg-type]
    try:
        tenant: TenantScope = await meetmind.authenticate(
            _bearer(websocket.headers.get("authorization"), access_token)
        )
        if not 0 <= after <= MAX_EVENT_ID:
            raise InvalidInputError("after", "must be a non-negative event id")
        if not re.fullmatch(OBJECT_ID_PATTERN, session_id):
            raise InvalidInputError("session_id", "is not a session id")
        await tenant.get_session(session_id)
    except MeetMindError as exc:
        await websocket.close(code=4000 + exc.http_status, reason=exc.message[:120])
        return
    await websocket.accept()

    async def send_feed() -> None:
        feed = tenant.follow(session_id, after=after, keepalive=KEEPALIVE_SECONDS)
        async for event in _cancel_safe(feed, name=f"feed-ws-steps:{session_id}"):
            message = {"type": "ping"} if event is None else event_json(event)
            await websocket.send_json(message)

    async def until_closed() -> None:
        # The client sends nothing; reading is how its close (or a dropped TCP) is noticed.
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    sender = asyncio.create_task(send_feed(), name=f"feed-ws:{session_id}")
    closer = asyncio.create_task(until_closed(), name=f"feed-ws-close:{session_id}")
    try:
        await asyncio.wait({sender, closer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, closer):
            task.cancel()
        results = await asyncio.gather(sender, closer, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception) and not isinstance(
            result, WebSocketDisconnect | RuntimeError
        ):
            raise result
