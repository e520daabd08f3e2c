"""A socket that Zoom closes in the middle of our handshake means "connect again", never a crash."""

from __future__ import annotations

import asyncio

import websockets

from meetmind.domain.events import StreamPhase
from meetmind.zoom.rtms.client import RtmsClientConfig, RtmsStreamClient, RtmsTarget
from meetmind.zoom.rtms.messages import SignalingHandshakeResponse
from meetmind.zoom.rtms.protocol import encode


async def test_a_normal_close_before_the_ready_ack_is_retried() -> None:
    connections = 0
    second = asyncio.Event()

    async def signaling(ws: websockets.ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await ws.recv()  # the handshake request
        answer = SignalingHandshakeResponse(status_code=0, media_server_urls={})
        await ws.send(encode(answer))
        await ws.close(1000, "Normal close")  # before the client's CLIENT_READY_ACK
        if connections >= 2:
            second.set()

    async with websockets.serve(signaling, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = RtmsStreamClient(
            RtmsTarget("uuid==", "stream-1", f"ws://127.0.0.1:{port}"),
            RtmsClientConfig("id", "secret", media=("transcript",), reconnect_base=0.01),
            on_event=lambda _event: asyncio.sleep(0),
        )
        run = asyncio.create_task(client.run())
        async with asyncio.timeout(10):
            await second.wait()
        await client.close()
        async with asyncio.timeout(10):
            final = await run
    assert final.phase is StreamPhase.LEFT
    assert client.stats.connects >= 2
