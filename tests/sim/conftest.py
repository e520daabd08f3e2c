"""Fixtures for the simulator suite: a simulator, a webhook receiver and a raw RTMS client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from meetmind.sim import SimConfig, Simulator
from meetmind.sim.http import HttpServer
from meetmind.sim.stream import RtmsStream
from meetmind.zoom.rtms import protocol as p
from meetmind.zoom.webhooks import url_validation_response

SimFactory = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def make_sim() -> AsyncIterator[SimFactory]:
    """Start simulators with custom options; all are stopped at teardown."""
    sims: list[Simulator] = []

    async def factory(**kwargs: Any) -> Simulator:
        kwargs.setdefault("time_scale", 20)
        kwargs.setdefault("config", SimConfig(rtms_start_delay_s=0.1))
        sim = Simulator(**kwargs)
        await sim.start()
        sims.append(sim)
        return sim

    yield factory
    for sim in sims:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: SimFactory) -> Simulator:
    """A simulator at time scale 20."""
    return await make_sim()


@dataclass
class Captured:
    """One request the webhook receiver got."""

    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]


@dataclass
class WebhookReceiver:
    """A tiny local HTTP endpoint that records Zoom webhooks and can misbehave on demand."""

    secret: str
    requests: list[Captured] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order, then 200
    delay_real_s: list[float] = field(default_factory=list)
    validate_correctly: bool = True
    url: str = ""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        """The receiving app."""
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            raw = await request.body()
            body = json.loads(raw)
            self.requests.append(Captured(dict(request.headers), raw, body))
            self._changed.set()
            self._changed = asyncio.Event()
            if self.delay_real_s:
                await asyncio.sleep(self.delay_real_s.pop(0))
            if body.get("event") == "endpoint.url_validation":
                token = body["payload"]["plainToken"]
                answer = url_validation_response(
                    self.secret if self.validate_correctly else "wrong", token
                )
                return JSONResponse(answer)
            status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status)

        return app

    def events(self, name: str) -> list[Captured]:
        """Requests for one event name."""
        return [r for r in self.requests if r.body.get("event") == name]

    async def wait(self, name: str, count: int = 1, limit_s: float = 5.0) -> list[Captured]:
        """Wait until ``count`` requests for ``name`` arrived."""

        async def _wait() -> list[Captured]:
            while len(self.events(name)) < count:
                await self._changed.wait()
            return self.events(name)

        return await asyncio.wait_for(_wait(), limit_s)


@pytest.fixture
async def receiver(sim: Simulator) -> AsyncIterator[WebhookReceiver]:
    """A webhook receiver registered (with URL validation) as the simulator's endpoint."""
    rec = WebhookReceiver(secret=sim.webhook_secret_token)
    server = HttpServer(rec.app(), "127.0.0.1", 0)
    await server.start()
    rec.url = f"http://127.0.0.1:{server.port}/hook"
    assert await sim.register_webhook(rec.url)
    yield rec
    await server.stop()


class RawSession:
    """A hand-driven RTMS client over raw ``websockets``: collects every decoded frame.

    Keep-alives are answered while ``answer_keepalive[socket]`` is true.
    """

    def __init__(self) -> None:
        self.signaling: ClientConnection | None = None
        self.media: dict[str, ClientConnection] = {}
        self.frames: dict[str, list[p.Message]] = {}
        self.raw_frames: dict[str, list[str | bytes]] = {}
        self.closed: dict[str, asyncio.Event] = {}
        self.answer_keepalive: dict[str, bool] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Event()

    def _reader(self, name: str, ws: ClientConnection) -> None:
        self.frames[name] = []
        self.raw_frames[name] = []
        self.closed[name] = asyncio.Event()
        self.answer_keepalive.setdefault(name, True)

        async def read() -> None:
            try:
                async for frame in ws:
                    self.raw_frames[name].append(frame)
                    try:
                        msg = p.decode(frame)
                    except p.ProtocolError:
                        self._pulse()
                        continue
                    self.frames[name].append(msg)
                    if isinstance(msg, p.KeepAliveRequest) and self.answer_keepalive[name]:
                        await ws.send(p.encode(msg.answer()))
                    self._pulse()
            except ConnectionClosed:
                pass
            finally:
                self.closed[name].set()
                self._pulse()

        self._tasks.append(asyncio.get_running_loop().create_task(read()))

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def of(self, name: str, cls: type[Any]) -> list[Any]:
        """Decoded frames of a type received on a socket."""
        return [m for m in self.frames.get(name, []) if isinstance(m, cls)]

    async def wait(self, check: Callable[[], Any], limit_s: float = 5.0) -> Any:
        """Wait until ``check()`` is truthy; return its value."""

        async def _wait() -> Any:
            while True:
                changed = self._changed
                value = check()
                if value:
                    return value
                await changed.wait()

        return await asyncio.wait_for(_wait(), limit_s)

    async def close(self) -> None:
        """Close every socket and stop the readers."""
        for ws in [self.signaling, *self.media.values()]:
            if ws is not None:
                await ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def handshake_signaling(
    sim: Simulator, stream: RtmsStream, **overrides: Any
) -> tuple[ClientConnection, p.Message]:
    """Open a signaling socket, send msg 1 (fields overridable, ``None`` removes), return msg 2."""
    ws = await websockets.connect(stream.server_urls)
    req: dict[str, Any] = {
        "msg_type": 1,
        "protocol_version": 1,
        "sequence": 5,
        "meeting_uuid": stream.meeting.uuid,
        "rtms_stream_id": stream.stream_id,
        "signature": sim.signature(stream.meeting.uuid, stream.stream_id),
    }
    binary = overrides.pop("binary", False)
    req.update(overrides)
    req = {k: v for k, v in req.items() if v is not None}
    text = json.dumps(req, indent="\t", sort_keys=True) + "\n"
    await ws.send(text.encode() if binary else text)
    return ws, p.decode(await asyncio.wait_for(ws.recv(), 5))


async def handshake_media(
    sim: Simulator,
    stream: RtmsStream,
    url: str,
    media_type: int,
    params: Any = None,
    **overrides: Any,
) -> tuple[ClientConnection, p.Message]:
    """Open a media socket, send msg 3, return msg 4."""
    ws = await websockets.connect(url)
    req: dict[str, Any] = {
        "msg_type": 3,
        "protocol_version": 1,
        "sequence": 6,
        "meeting_uuid": stream.meeting.uuid,
        "rtms_stream_id": stream.stream_id,
        "signature": sim.signature(stream.meeting.uuid, stream.stream_id),
        "media_type": media_type,
        "payload_encryption": False,
    }
    if params is not None:
        req["media_params"] = params
    req.update(overrides)
    await ws.send(json.dumps(req))
    return ws, p.decode(await asyncio.wait_for(ws.recv(), 5))


async def join(
    sim: Simulator,
    stream: RtmsStream,
    media: dict[str, tuple[int, Any]] | None = None,
    *,
    ready: bool = True,
    buffer_data: bool | None = None,
) -> RawSession:
    """Full join: signaling, each media socket ``{url_key: (media_type, params)}``, ready ack."""
    session = RawSession()
    extra = {} if buffer_data is None else {"buffer_data": buffer_data}
    ws, resp = await handshake_signaling(sim, stream, **extra)
    assert isinstance(resp, p.SignalingHandshakeResponse) and resp.status_code == 0, resp
    assert resp.media_server_urls is not None
    session.signaling = ws
    session._reader("signaling", ws)
    for key, (media_type, params) in (media or {"transcript": (8 | 16, None)}).items():
        mws, mresp = await handshake_media(
            sim, stream, resp.media_server_urls[key], media_type, params
        )
        assert isinstance(mresp, p.DataHandshakeResponse) and mresp.status_code == 0, mresp
        session.media[key] = mws
        session._reader(key, mws)
    if ready:
        await ws.send(json.dumps({"msg_type": 7, "rtms_stream_id": stream.stream_id}))
    return session


@pytest.fixture
async def sessions() -> AsyncIterator[list[RawSession]]:
    """Collects raw sessions to close at teardown."""
    opened: list[RawSession] = []
    yield opened
    for session in opened:
        await session.close()


async def started_stream(sim: Simulator, script: Any = "standup") -> RtmsStream:
    """A live meeting with RTMS started."""
    meeting = sim.create_meeting(script)
    return sim.start_rtms(meeting)
