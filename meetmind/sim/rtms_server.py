"""RTMS signaling and media WebSocket servers (one "RTMS node"; failover starts another)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from meetmind.sim.context import SimContext
from meetmind.sim.stream import Conn, RtmsStream
from meetmind.zoom.rtms.enums import (
    EventType,
    MediaDataOption,
    MediaType,
    MessageType,
    StatusCode,
    StopReason,
)
from meetmind.zoom.rtms.messages import (
    ClientReadyAck,
    DataHandshakeRequest,
    DataHandshakeResponse,
    EventSubscription,
    EventUpdate,
    KeepAliveResponse,
    Message,
    RtmsEvent,
    SessionStateRequest,
    SessionStateResponse,
    SignalingHandshakeRequest,
    SignalingHandshakeResponse,
    StreamCloseRequest,
    StreamCloseResponse,
    StreamStateRequest,
    StreamStateResponse,
    VideoSubscriptionRequest,
    VideoSubscriptionResponse,
)
from meetmind.zoom.rtms.params import media_kinds, negotiate_media
from meetmind.zoom.rtms.protocol import ProtocolError, decode, verify_handshake_signature

__all__ = ["MEDIA_URL_KEYS", "RtmsNode"]

MEDIA_URL_KEYS = ("audio", "video", "deskshare", "transcript", "chat", "all")
"""Keys of ``media_server.server_urls``: Zoom's official client needs one per media type."""

_SUBSCRIBABLE = {int(e) for e in EventType} - {
    int(EventType.UNDEFINED),
    int(EventType.FIRST_PACKET_TIMESTAMP),
    int(EventType.MEDIA_CONNECTION_INTERRUPTED),
}


def _wrong_type(frame: str | bytes, expected: MessageType) -> int | None:
    """The frame's ``msg_type`` when it is a valid-looking integer other than ``expected``."""
    try:
        obj = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    value = obj.get("msg_type") if isinstance(obj, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value != expected:
        return value
    return None


def _shown(frame: str | bytes) -> Any:
    try:
        return json.loads(frame)
    except (ValueError, RecursionError):
        return frame if isinstance(frame, str) else frame.hex()


class RtmsNode:
    """A signaling server and a media server on ephemeral ports of ``ctx.host``.

    Args:
        ctx: The simulator context.
        name: A label for the record (``rtms-1``, ``rtms-2`` after a failover...).
    """

    def __init__(self, ctx: SimContext, name: str) -> None:
        self.ctx = ctx
        self.name = name
        self._signaling: Server | None = None
        self._media: Server | None = None
        self.signaling_port = 0
        self.media_port = 0

    async def start(self) -> None:
        """Listen on two ephemeral ports."""
        options: dict[str, Any] = {"close_timeout": 2.0, "max_size": 2**22}
        self._signaling = await serve(self._signaling_handler, self.ctx.host, 0, **options)
        self._media = await serve(self._media_handler, self.ctx.host, 0, **options)
        self.signaling_port = self._signaling.sockets[0].getsockname()[1]
        self.media_port = self._media.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close both servers and every connection."""
        servers = [s for s in (self._signaling, self._media) if s is not None]
        for server in servers:
            server.close()
        for server in servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 0.5)
            except TimeoutError:
                # A handler blocked on a peer that stopped reading: drop its TCP connection.
                for conn in list(server.connections):
                    conn.transport.abort()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(server.wait_closed(), 5)

    @property
    def signaling_url(self) -> str:
        """``server_urls`` of ``meeting.rtms_started`` (one URL)."""
        return f"ws://{self.ctx.host}:{self.signaling_port}"

    def media_urls(self) -> dict[str, str]:
        """Media URLs per type allowed by the app's scopes, plus ``all``."""
        allowed = {key for _flag, key in media_kinds(self.ctx.config.allowed_media)}
        return {
            key: f"ws://{self.ctx.host}:{self.media_port}/{key}"
            for key in MEDIA_URL_KEYS
            if key in allowed or key == "all"
        }

    # ------------------------------------------------------------------ shared

    def _record_in(
        self, channel: str, frame: str | bytes, stream: RtmsStream | None, msg: Message | None
    ) -> None:
        kind = "malformed" if msg is None else f"msg_type:{int(msg.msg_type)}"
        self.ctx.recorder.add(
            channel,
            "received",
            kind,
            meeting_id=None if stream is None else stream.meeting.id,
            stream_id=None if stream is None else stream.stream_id,
            node=self.name,
            binary=isinstance(frame, bytes),
            frame=_shown(frame),
        )

    async def _first_frame(self, ws: ServerConnection) -> str | bytes | None:
        try:
            return await asyncio.wait_for(ws.recv(), self.ctx.config.handshake_timeout_real_s)
        except TimeoutError:
            await ws.close(1008, "handshake timeout")
        except ConnectionClosed:
            pass
        return None

    async def _reject(
        self, ws: ServerConnection, channel: str, response: Message, stream: RtmsStream | None
    ) -> None:
        from meetmind.zoom.rtms.protocol import encode

        with contextlib.suppress(ConnectionClosed):
            await ws.send(encode(response))
            self.ctx.recorder.add(
                channel,
                "sent",
                f"msg_type:{int(response.msg_type)}",
                meeting_id=None if stream is None else stream.meeting.id,
                stream_id=None if stream is None else stream.stream_id,
                node=self.name,
                frame=response.to_wire(),
                rejected=True,
            )
            await ws.close(1000, "handshake rejected")

    def _lookup(self, stream_id: str, meeting_uuid: str) -> RtmsStream | None:
        stream = self.ctx.streams.get(stream_id)
        if (
            stream is None
            or stream.node is not self
            or stream.terminated
            or stream.meeting.uuid != meeting_uuid
        ):
            return None
        return stream

    async def _run_with(
        self, conn: Conn, receive: Coroutine[Any, Any, None], *extra: Coroutine[Any, Any, None]
    ) -> None:
        async def guarded(coro: Coroutine[Any, Any, None]) -> None:
            with contextlib.suppress(ConnectionClosed):
                await coro

        async with asyncio.TaskGroup() as tg:
            helpers = [
                tg.create_task(guarded(c), name=f"{conn.label}:{conn.conn_id}") for c in extra
            ]
            await guarded(receive)
            for task in helpers:
                task.cancel()

    async def _keepalive(self, conn: Conn) -> None:
        cfg = self.ctx.config
        key = "signaling" if conn.role == "signaling" else "media"
        while True:
            await self.ctx.clock.sleep(cfg.keepalive_interval_s)
            if not conn.stream.keepalive_enabled[key]:
                continue
            if conn.ka_outstanding >= cfg.keepalive_max_missed:
                conn.close_cause = "keepalive_timeout"
                conn.stream.record(
                    "keepalive_timeout", socket=conn.label, missed=conn.ka_outstanding
                )
                await conn.close(1000, "keep alive timeout")
                return
            await conn.send(conn.next_keepalive(self.ctx.clock.time_ms()))

    # ------------------------------------------------------------------ signaling

    async def _signaling_handler(self, ws: ServerConnection) -> None:
        frame = await self._first_frame(ws)
        if frame is None:
            return
        try:
            msg: Message | None = decode(frame)
        except ProtocolError as exc:
            self._record_in("signaling", frame, None, None)
            wrong = _wrong_type(frame, MessageType.SIGNALING_HAND_SHAKE_REQ)
            status = StatusCode.INVALID_MESSAGE_TYPE if wrong is not None else exc.status_code
            await self._reject(
                ws, "signaling", SignalingHandshakeResponse(int(status), str(exc)), None
            )
            return
        assert msg is not None
        if not isinstance(msg, SignalingHandshakeRequest):
            self._record_in("signaling", frame, None, msg)
            await self._reject(
                ws,
                "signaling",
                SignalingHandshakeResponse(
                    int(StatusCode.INVALID_MESSAGE_TYPE),
                    f"expected msg_type 1, got {int(msg.msg_type)}",
                ),
                None,
            )
            return
        stream = self._lookup(msg.rtms_stream_id, msg.meeting_uuid)
        self._record_in("signaling", frame, stream, msg)
        status, reason = StatusCode.OK, ""
        if stream is None:
            status, reason = StatusCode.INVALID_RTMS_STREAM_ID, "invalid rtms_stream_id"
        elif not verify_handshake_signature(
            msg.signature,
            self.ctx.client_id,
            self.ctx.client_secret,
            msg.meeting_uuid,
            msg.rtms_stream_id,
        ):
            status, reason = StatusCode.INVALID_SIGNATURE, "invalid signature"
        elif stream.signaling is not None:
            status, reason = StatusCode.DUPLICATE_SIGNAL_REQUEST, "duplicate signal request"
        if status != StatusCode.OK or stream is None:
            await self._reject(
                ws,
                "signaling",
                SignalingHandshakeResponse(int(status), reason, sequence=msg.sequence),
                stream,
            )
            return
        conn = Conn(stream, ws, "signaling")
        stream.signaling = conn
        if msg.buffer_data is False:
            stream.drop_initial_buffer()
        try:
            await conn.send(
                SignalingHandshakeResponse(0, "", self.media_urls(), sequence=msg.sequence)
            )
            await conn.send(
                EventUpdate(
                    RtmsEvent(int(EventType.FIRST_PACKET_TIMESTAMP), stream.first_packet_ts)
                )
            )
            await self._run_with(conn, self._signaling_loop(conn), self._keepalive(conn))
        except ConnectionClosed:
            pass
        finally:
            await stream.on_signaling_closed(conn)

    async def _signaling_loop(self, conn: Conn) -> None:
        stream = conn.stream
        async for frame in conn.ws:
            try:
                msg: Message | None = decode(frame)
            except ProtocolError:
                msg = None
            self._record_in("signaling", frame, stream, msg)
            if msg is None:
                continue
            await self._on_signaling(conn, msg)

    async def _on_signaling(self, conn: Conn, msg: Message) -> None:
        stream = conn.stream
        now = self.ctx.clock.time_ms()
        if isinstance(msg, KeepAliveResponse):
            conn.keepalive_answered(msg.timestamp)
        elif isinstance(msg, EventSubscription):
            for item in msg.events:
                if item.event_type not in _SUBSCRIBABLE:
                    stream.record(
                        "invalid_event_subscribe",
                        event_type=item.event_type,
                        status_code=int(StatusCode.INVALID_EVENT_SUBSCRIBE),
                    )
                elif item.subscribe:
                    conn.subscriptions.add(item.event_type)
                else:
                    conn.subscriptions.discard(item.event_type)
        elif isinstance(msg, ClientReadyAck):
            if msg.rtms_stream_id != stream.stream_id or not stream.media:
                stream.record(
                    "invalid_client_ready_ack",
                    status_code=int(StatusCode.INVALID_CLIENT_READY_ACK),
                    media_connected=sorted(stream.media),
                )
            else:
                await stream.on_ready()
        elif isinstance(msg, SessionStateRequest):
            if msg.rtms_session_id == stream.session_id:
                await conn.send(
                    SessionStateResponse(msg.rtms_session_id, int(stream.session_state), now, 0)
                )
            else:
                await conn.send(
                    SessionStateResponse(
                        msg.rtms_session_id, 0, now, int(StatusCode.INVALID_RTMS_SESSION_ID)
                    )
                )
        elif isinstance(msg, StreamStateRequest):
            status = (
                0
                if msg.rtms_stream_id == stream.stream_id
                else int(StatusCode.INVALID_RTMS_STREAM_ID)
            )
            await conn.send(StreamStateResponse(msg.rtms_stream_id, int(stream.state), now, status))
        elif isinstance(msg, StreamCloseRequest):
            if msg.rtms_stream_id != stream.stream_id:
                await conn.send(
                    StreamCloseResponse(
                        msg.rtms_stream_id,
                        int(StatusCode.INVALID_RTMS_STREAM_ID),
                        "invalid rtms_stream_id",
                        now,
                    )
                )
                return
            await conn.send(StreamCloseResponse(msg.rtms_stream_id, 0, "OK", now))
            await stream.terminate(StopReason.STOP_BC_RECEIVER_REQUEST_CLOSE)
        elif isinstance(msg, VideoSubscriptionRequest):
            await conn.send(self._video_subscription(stream, msg, now))
        else:
            stream.record("ignored_message", msg_type=int(msg.msg_type))

    @staticmethod
    def _video_subscription(
        stream: RtmsStream, msg: VideoSubscriptionRequest, now: int
    ) -> VideoSubscriptionResponse:
        video = stream.media.get("video")
        params = None if video is None or video.params is None else video.params.video
        if params is None or params.data_opt != MediaDataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM:
            return VideoSubscriptionResponse(
                msg.user_id,
                int(StatusCode.INVALID_MEDIA_VIDEO_DATA_OPT),
                "needs video data_opt 4",
                now,
            )
        if msg.subscribe and stream.video_subscription == msg.user_id:
            return VideoSubscriptionResponse(
                msg.user_id,
                int(StatusCode.DUPLICATE_VIDEO_SUBSCRIPTION),
                "duplicate subscription",
                now,
            )
        stream.video_subscription = msg.user_id if msg.subscribe else None
        return VideoSubscriptionResponse(msg.user_id, 0, "OK", now)

    # ------------------------------------------------------------------ media

    async def _media_handler(self, ws: ServerConnection) -> None:
        frame = await self._first_frame(ws)
        if frame is None:
            return
        try:
            msg: Message | None = decode(frame)
        except ProtocolError as exc:
            self._record_in("media", frame, None, None)
            wrong = _wrong_type(frame, MessageType.DATA_HAND_SHAKE_REQ)
            status = StatusCode.INVALID_MESSAGE_TYPE if wrong is not None else exc.status_code
            await self._reject(ws, "media", DataHandshakeResponse(int(status), str(exc)), None)
            return
        assert msg is not None
        if not isinstance(msg, DataHandshakeRequest):
            self._record_in("media", frame, None, msg)
            await self._reject(
                ws,
                "media",
                DataHandshakeResponse(
                    int(StatusCode.INVALID_MESSAGE_TYPE),
                    f"expected msg_type 3, got {int(msg.msg_type)}",
                ),
                None,
            )
            return
        stream = self._lookup(msg.rtms_stream_id, msg.meeting_uuid)
        self._record_in("media", frame, stream, msg)
        sequence = msg.sequence

        def reject(status: StatusCode, reason: str) -> DataHandshakeResponse:
            return DataHandshakeResponse(int(status), reason, None, sequence=sequence)

        if stream is None or stream.signaling is None:
            await self._reject(
                ws,
                "media",
                reject(StatusCode.INVALID_RTMS_STREAM_ID, "invalid rtms_stream_id"),
                stream,
            )
            return
        if not verify_handshake_signature(
            msg.signature,
            self.ctx.client_id,
            self.ctx.client_secret,
            msg.meeting_uuid,
            msg.rtms_stream_id,
        ):
            await self._reject(
                ws, "media", reject(StatusCode.INVALID_SIGNATURE, "invalid signature"), stream
            )
            return
        negotiation = negotiate_media(
            msg.media_type, msg.media_params, allowed=self.ctx.config.allowed_media
        )
        if not negotiation.ok:
            await self._reject(
                ws, "media", reject(negotiation.status_code, negotiation.reason), stream
            )
            return
        kinds = tuple(key for _flag, key in media_kinds(negotiation.media_types))
        wants_all = bool(msg.media_type & MediaType.ALL)
        existing = set(stream.media.values())
        if any(c.all for c in existing) or (wants_all and existing):
            await self._reject(
                ws,
                "media",
                reject(StatusCode.MEDIA_DATA_ALL_CONNECTION_EXIST, "all connection exists"),
                stream,
            )
            return
        if any(kind in stream.media for kind in kinds):
            await self._reject(
                ws,
                "media",
                reject(
                    StatusCode.DUPLICATE_MEDIA_DATA_CONNECTION, "duplicate media data connection"
                ),
                stream,
            )
            return
        conn = Conn(stream, ws, "media", kinds, negotiation.media_params)
        conn.all = wants_all
        try:
            await conn.send(
                DataHandshakeResponse(
                    0, "", negotiation.media_params, payload_encrypted=False, sequence=msg.sequence
                )
            )
            await stream.on_media_attached(conn)
            await self._run_with(
                conn, self._media_loop(conn), self._keepalive(conn), stream.run_media_sender(conn)
            )
        except ConnectionClosed:
            pass
        finally:
            await stream.on_media_closed(conn)

    async def _media_loop(self, conn: Conn) -> None:
        stream = conn.stream
        async for frame in conn.ws:
            try:
                msg: Message | None = decode(frame)
            except ProtocolError:
                msg = None
            self._record_in("media", frame, stream, msg)
            if isinstance(msg, KeepAliveResponse):
                conn.keepalive_answered(msg.timestamp)
            elif msg is not None and msg.msg_type != MessageType.KEEP_ALIVE_RESP:
                stream.record("ignored_message", msg_type=int(msg.msg_type), socket=conn.label)
