"""One RTMS stream on the server side: connections, states, buffered media, interruptions."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from meetmind.sim.context import SimContext
from meetmind.zoom.rtms.enums import (
    EventType,
    MediaDataOption,
    SessionState,
    StopReason,
    StreamState,
)
from meetmind.zoom.rtms.messages import (
    EventUpdate,
    KeepAliveRequest,
    MediaDataAudio,
    MediaDataChat,
    MediaDataTranscript,
    MediaDataVideo,
    Message,
    Participant,
    RtmsEvent,
    SessionStateUpdate,
    StreamStateUpdate,
)
from meetmind.zoom.rtms.params import MediaParams
from meetmind.zoom.rtms.protocol import encode

if TYPE_CHECKING:
    from meetmind.sim.meeting import Meeting
    from meetmind.sim.rtms_server import RtmsNode

__all__ = ["Conn", "RtmsStream", "TextItem"]

TEXT_KINDS = ("transcript", "chat")
MALFORMED_SAMPLES: tuple[str | bytes, ...] = (
    '{"msg_type": 17, "content": {"user_id": 1, "data": "trunc',
    "this is not json",
    '{"msg_type": "seventeen"}',
    '{"msg_type": 17, "content": {"data": 42}}',
    b"\xff\xfe\x00binary garbage",
    "[]",
)
"""Frames sent by the ``malformed_frames`` fault, in turn."""


def _wire_summary(msg: Message) -> dict[str, Any]:
    wire = msg.to_wire()
    if isinstance(msg, MediaDataAudio | MediaDataVideo):
        content = dict(wire["content"])
        content["data"] = f"<{len(msg.data)} bytes>"
        wire = {**wire, "content": content}
    return wire


class Conn:
    """A server-side RTMS socket (signaling or media) bound to a stream.

    Attributes:
        role: ``signaling`` or ``media``.
        kinds: Media kinds served (media sockets only).
        params: Effective media params (media sockets only).
        expected_close: Set before the simulator closes the socket on purpose, so closing is not
            mistaken for an interruption.
        close_cause: Why the simulator closed it (``keepalive_timeout``, ``fault``...).
    """

    def __init__(
        self,
        stream: RtmsStream,
        ws: ServerConnection,
        role: str,
        kinds: tuple[str, ...] = (),
        params: MediaParams | None = None,
    ) -> None:
        self.stream = stream
        self.ws = ws
        self.role = role
        self.kinds = kinds
        self.params = params
        self.conn_id = secrets.token_hex(4)
        self.all = False
        self.expected_close = False
        self.close_cause: str | None = None
        self.ka_outstanding = 0
        self.ka_sequence = 0
        self.ka_pending: set[int] = set()
        self.subscriptions: set[int] = {
            int(EventType.ACTIVE_SPEAKER_CHANGE),
            int(EventType.PARTICIPANT_JOIN),
            int(EventType.PARTICIPANT_LEAVE),
        }
        self.sent: list[tuple[str, int]] = []  # (kind, log index) of recently sent text frames

    @property
    def label(self) -> str:
        """``signaling`` or ``media:<kinds>`` for the record."""
        return self.role if self.role == "signaling" else "media:" + "+".join(self.kinds)

    @property
    def channel(self) -> str:
        """Record channel."""
        return "signaling" if self.role == "signaling" else "media"

    async def send(self, msg: Message, *, record: bool = True) -> None:
        """Encode and send a message (recorded unless ``record`` is false)."""
        text = encode(msg)
        await self.ws.send(text)
        if record:
            self._record_sent(msg)
        if self.role == "media" and self.stream.duplicate_remaining > 0:
            self.stream.duplicate_remaining -= 1
            await self.ws.send(text)
            self._record_sent(msg, duplicate=True)

    async def send_raw(self, frame: str | bytes, kind: str) -> None:
        """Send a raw frame (faults) and record it."""
        await self.ws.send(frame)
        shown = frame if isinstance(frame, str) else frame.hex()
        self.stream.ctx.recorder.add(
            self.channel,
            "sent",
            kind,
            meeting_id=self.stream.meeting.id,
            stream_id=self.stream.stream_id,
            socket=self.label,
            frame=shown,
        )

    def _record_sent(self, msg: Message, duplicate: bool = False) -> None:
        data: dict[str, Any] = {"socket": self.label, "frame": _wire_summary(msg)}
        if duplicate:
            data["duplicate"] = True
        self.stream.ctx.recorder.add(
            self.channel,
            "sent",
            f"msg_type:{int(msg.msg_type)}",
            meeting_id=self.stream.meeting.id,
            stream_id=self.stream.stream_id,
            **data,
        )

    def next_keepalive(self, timestamp: int) -> KeepAliveRequest:
        """Register and return a new keep-alive request."""
        self.ka_sequence += 1
        self.ka_outstanding += 1
        self.ka_pending.add(timestamp)
        return KeepAliveRequest(timestamp, self.ka_sequence)

    def keepalive_answered(self, timestamp: int) -> bool:
        """Mark keep-alives answered when ``timestamp`` echoes one we sent."""
        if timestamp in self.ka_pending:
            self.ka_pending.clear()
            self.ka_outstanding = 0
            return True
        return False

    async def close(self, code: int = 1000, reason: str = "", *, abort: bool = False) -> None:
        """Close on purpose (``abort`` drops TCP without a close frame)."""
        self.expected_close = True
        if abort:
            self.ws.transport.abort()
            return
        with contextlib.suppress(ConnectionClosed, OSError):
            await self.ws.close(code, reason)


@dataclass(slots=True)
class TextItem:
    """A transcript or chat frame waiting in the stream's buffer."""

    t: float
    msg: MediaDataTranscript | MediaDataChat


@dataclass
class _Logs:
    items: dict[str, list[TextItem]] = field(default_factory=lambda: {k: [] for k in TEXT_KINDS})
    cursors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TEXT_KINDS, 0))


class RtmsStream:
    """The server side of one ``rtms_stream_id``.

    Holds the signaling and media connections, the stream and session states, the buffered media
    (up to ``buffer_window_s``), and implements pause/resume, interruptions with reconnect windows,
    failover and termination exactly as the webhooks and signaling messages show them.
    """

    def __init__(
        self,
        ctx: SimContext,
        meeting: Meeting,
        node: RtmsNode,
        *,
        operator_id: str,
        webhook_url: str | None,
    ) -> None:
        self.ctx = ctx
        self.meeting = meeting
        self.node = node
        self.stream_id = secrets.token_hex(16)
        self.session_id = secrets.token_hex(16)
        self.operator_id = operator_id
        self.webhook_url = webhook_url
        self.created_t = ctx.clock.monotonic()
        self.first_packet_ts = ctx.clock.time_ms()
        self.state = StreamState.INACTIVE
        self.session_state = SessionState.INITIALIZE
        self.stop_reason: StopReason | None = None
        self.signaling: Conn | None = None
        self.media: dict[str, Conn] = {}
        self.ready = False
        self.ever_ready = False
        self.logs = _Logs()
        self.audio_cursor_ms = int(self.created_t * 1000)
        self.duplicate_remaining = 0
        self.delay_until = 0.0
        self.keepalive_enabled = {"signaling": True, "media": True}
        self.video_subscription: int | str | None = None
        self._changed = asyncio.Event()
        self._reconnect: asyncio.Task[None] | None = None
        self._media_reconnect: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------------ helpers

    @property
    def terminated(self) -> bool:
        """Whether the stream has ended for good."""
        return self.state in (StreamState.TERMINATING, StreamState.TERMINATED)

    @property
    def server_urls(self) -> str:
        """The signaling URL announced in ``rtms_started``."""
        return self.node.signaling_url

    def record(self, kind: str, **data: Any) -> None:
        """Record a stream-level event."""
        self.ctx.recorder.add(
            "stream", "event", kind, meeting_id=self.meeting.id, stream_id=self.stream_id, **data
        )

    def pulse(self) -> None:
        """Wake the media senders."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, until: float | None = None) -> None:
        """Wait for :meth:`pulse` or until simulated monotonic time ``until``."""
        event = self._changed
        if until is None:
            await event.wait()
            return
        remaining = until - self.ctx.clock.monotonic()
        if remaining <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.ctx.clock.to_real(remaining)):
                await event.wait()

    def deliverable(self) -> bool:
        """Whether media may flow now (ready ack seen, not paused, not delayed, not ended)."""
        return (
            self.ready
            and not self.terminated
            and self.state != StreamState.PAUSED
            and self.ctx.clock.monotonic() >= self.delay_until
        )

    def webhook_payload(self) -> dict[str, Any]:
        """The flat payload of ``meeting.rtms_started`` / ``rtms_interrupted``."""
        return {
            "meeting_uuid": self.meeting.uuid,
            "operator_id": self.operator_id,
            "rtms_stream_id": self.stream_id,
            "server_urls": self.server_urls,
            "account_id": self.meeting.account_id,
            "meeting_id": self.meeting.id,
            "is_original_host": True,
        }

    def send_webhook(self, event: str, payload: dict[str, Any]) -> None:
        """Send a webhook for this stream."""
        if self.ctx.webhooks is not None:
            self.ctx.webhooks.send(
                event,
                payload,
                url=self.webhook_url,
                meeting_id=self.meeting.id,
                stream_id=self.stream_id,
            )

    def to_json(self) -> dict[str, Any]:
        """Admin-API view."""
        return {
            "rtms_stream_id": self.stream_id,
            "rtms_session_id": self.session_id,
            "meeting_id": self.meeting.id,
            "meeting_uuid": self.meeting.uuid,
            "server_urls": self.server_urls,
            "media_urls": self.node.media_urls(),
            "state": self.state.name,
            "session_state": self.session_state.name,
            "stop_reason": None if self.stop_reason is None else int(self.stop_reason),
            "signaling_connected": self.signaling is not None,
            "media_connected": sorted(self.media),
            "ready": self.ready,
            "webhook_url": self.webhook_url,
        }

    # ------------------------------------------------------------------ signaling output

    async def send_signaling(self, msg: Message) -> None:
        """Send on the signaling socket if one is connected (errors are swallowed: the socket
        handler notices the close)."""
        conn = self.signaling
        if conn is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await conn.send(msg)

    async def send_event(self, event: RtmsEvent, *, always: bool = False) -> None:
        """Send EVENT_UPDATE if the client is ready and subscribed (``always`` for 1 and 7)."""
        conn = self.signaling
        if conn is None or not (self.ready or always):
            return
        if always or event.event_type in conn.subscriptions:
            await self.send_signaling(EventUpdate(event))

    async def set_state(self, state: StreamState, reason: int = 0) -> None:
        """Change the stream state and send STREAM_STATE_UPDATE."""
        self.state = state
        self.record("stream_state", state=state.name, reason=reason)
        await self.send_signaling(StreamStateUpdate(int(state), reason, self.ctx.clock.time_ms()))

    async def set_session_state(self, state: SessionState, reason: int = 0) -> None:
        """Change the session state and send SESSION_STATE_UPDATE."""
        self.session_state = state
        self.record("session_state", state=state.name, reason=reason)
        await self.send_signaling(
            SessionStateUpdate(int(state), self.session_id, reason, self.ctx.clock.time_ms())
        )

    # ------------------------------------------------------------------ lifecycle

    async def on_ready(self) -> None:
        """CLIENT_READY_ACK received: announce states and participants, start media."""
        self.ready = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            self._reconnect = None
        if self.state == StreamState.PAUSED:
            await self.set_state(StreamState.PAUSED)
        else:
            await self.set_state(StreamState.ACTIVE)
        if not self.ever_ready:
            self.ever_ready = True
            await self.set_session_state(SessionState.STARTED)
        else:
            await self.set_session_state(self.session_state)
        now = self.ctx.clock.time_ms()
        present = self.meeting.present_participants()
        if present:
            await self.send_event(
                RtmsEvent(
                    int(EventType.PARTICIPANT_JOIN),
                    now,
                    participants=tuple(Participant(p.user_id, p.name) for p in present),
                )
            )
        speaker = self.meeting.active_speaker
        if speaker is not None:
            await self.send_event(
                RtmsEvent(int(EventType.ACTIVE_SPEAKER_CHANGE), now, speaker.user_id, speaker.name)
            )
        self.pulse()

    def publish(self, kind: str, msg: MediaDataTranscript | MediaDataChat) -> None:
        """Add a transcript or chat frame to the stream (dropped while paused or ended)."""
        if self.terminated or self.state == StreamState.PAUSED:
            return
        self.logs.items[kind].append(TextItem(self.ctx.clock.monotonic(), msg))
        self.pulse()

    def drop_initial_buffer(self) -> None:
        """``buffer_data: false``: forget what was produced before the first connection."""
        if self.ever_ready:
            return
        for kind in TEXT_KINDS:
            self.logs.cursors[kind] = len(self.logs.items[kind])
        self.audio_cursor_ms = int(self.ctx.clock.monotonic() * 1000)

    async def pause(self) -> None:
        """Pause: no media until resumed (media produced meanwhile is not delivered)."""
        await self.set_state(StreamState.PAUSED)
        await self.set_session_state(SessionState.PAUSED)
        self.pulse()

    async def resume(self) -> None:
        """Resume after a pause."""
        self.audio_cursor_ms = int(self.ctx.clock.monotonic() * 1000)
        await self.set_state(StreamState.RESUMED)
        await self.set_session_state(SessionState.RESUMED)
        self.state = StreamState.ACTIVE
        self.pulse()

    async def terminate(self, reason: StopReason, *, participants_leave: bool = False) -> None:
        """End the stream: states, ``meeting.rtms_stopped``, sockets closed with 1000."""
        if self.terminated:
            return
        self.stop_reason = reason
        for task in (self._reconnect, *self._media_reconnect.values()):
            if task is not None:
                task.cancel()
        if participants_leave:
            present = self.meeting.present_participants()
            if present:
                await self.send_event(
                    RtmsEvent(
                        int(EventType.PARTICIPANT_LEAVE),
                        self.ctx.clock.time_ms(),
                        participants=tuple(Participant(p.user_id) for p in present),
                    )
                )
        await self.set_session_state(SessionState.STOPPED, int(reason))
        await self.set_state(StreamState.TERMINATED, int(reason))
        self.ready = False
        self.pulse()
        conns = self.connections()
        self.signaling = None
        self.media.clear()
        # The webhook is queued first: a peer slow to answer close frames (each may take the
        # close timeout) must not hold back the news that the stream ended.
        self.send_webhook(
            "meeting.rtms_stopped",
            {
                "meeting_uuid": self.meeting.uuid,
                "operator_id": self.operator_id,
                "rtms_stream_id": self.stream_id,
                "stop_reason": int(reason),
                "account_id": self.meeting.account_id,
                "meeting_id": self.meeting.id,
            },
        )
        await asyncio.gather(*(conn.close(1000, "Normal close") for conn in conns))

    def connections(self) -> list[Conn]:
        """Every open connection of the stream (signaling first)."""
        conns = [] if self.signaling is None else [self.signaling]
        for conn in self.media.values():
            if conn not in conns:
                conns.append(conn)
        return conns

    # ------------------------------------------------------------------ interruptions

    async def on_signaling_closed(self, conn: Conn) -> None:
        """The signaling socket closed: unless on purpose, interrupt the stream (Zoom's rules)."""
        superseded = self.signaling is not None and self.signaling is not conn
        if self.signaling is conn:
            self.signaling = None
        if self.ctx.closing or (conn.expected_close and conn.close_cause is None):
            return
        if superseded:  # an older connection of a client that has reconnected since
            self.record("superseded_closed", socket="signaling", conn_id=conn.conn_id)
            return
        if self.terminated:
            return
        self.ready = False
        cause = conn.close_cause or "signaling_closed"
        final = (
            StopReason.STOP_BC_KEEP_ALIVE_TIMEOUT
            if cause == "keepalive_timeout"
            else StopReason.STOP_BC_AWAIT_RECONNECTION_TIMEOUT
        )
        for media in list(self.media.values()):
            await media.close(1001, "signaling interrupted")
        self.media.clear()
        await self._interrupted(cause)
        self.send_webhook("meeting.rtms_interrupted", self.webhook_payload())
        self._start_reconnect_window(self.ctx.config.signaling_reconnect_window_s, final)

    async def _interrupted(self, cause: str) -> None:
        self.state = StreamState.INTERRUPTED
        self.record("interrupted", cause=cause)
        self.pulse()

    def _start_reconnect_window(self, window_s: float, final: StopReason) -> None:
        if self._reconnect is not None:
            self._reconnect.cancel()
        self._reconnect = self.ctx.tasks.spawn(
            f"reconnect-window:{self.stream_id}", self._await_signaling(window_s, final)
        )

    async def _await_signaling(self, window_s: float, final: StopReason) -> None:
        await self.ctx.clock.sleep(window_s)
        if not self.ready and not self.terminated:
            self.record("reconnect_window_expired", window_s=window_s)
            await self.terminate(final)

    async def on_media_closed(self, conn: Conn) -> None:
        """A media socket closed: unless on purpose, event 7 + state INTERRUPTED (reason 14)."""
        current = [kind for kind in conn.kinds if self.media.get(kind) is conn]
        for kind in current:
            del self.media[kind]
        if not current and any(kind in self.media for kind in conn.kinds):
            self.record("superseded_closed", socket=conn.label, conn_id=conn.conn_id)
            return  # replaced by a newer connection for the same media
        if (
            self.ctx.closing
            or self.terminated
            or (conn.expected_close and conn.close_cause is None)
        ):
            return
        if self.signaling is None:
            return  # the signaling interruption already covers it
        self._rewind(conn)
        cause = conn.close_cause or "media_closed"
        final = (
            StopReason.STOP_BC_KEEP_ALIVE_TIMEOUT
            if cause == "keepalive_timeout"
            else StopReason.STOP_BC_AWAIT_RECONNECTION_TIMEOUT
        )
        now = self.ctx.clock.time_ms()
        await self.send_event(
            RtmsEvent(int(EventType.MEDIA_CONNECTION_INTERRUPTED), now), always=True
        )
        await self.set_state(
            StreamState.INTERRUPTED, int(StopReason.STOP_BC_DATA_CONNECTION_INTERRUPTED)
        )
        self.record("media_interrupted", kinds=list(conn.kinds), cause=cause)
        for kind in conn.kinds:
            old = self._media_reconnect.pop(kind, None)
            if old is not None:
                old.cancel()
            self._media_reconnect[kind] = self.ctx.tasks.spawn(
                f"media-reconnect:{self.stream_id}:{kind}", self._await_media(kind, final)
            )

    def _rewind(self, conn: Conn) -> None:
        """Re-deliver the last few text frames after an interruption (clients must dedupe)."""
        n = self.ctx.extras.get("redeliver_on_reconnect", 2)
        for kind, index in conn.sent[-n:] if n else []:
            self.logs.cursors[kind] = min(self.logs.cursors[kind], index)

    async def _await_media(self, kind: str, final: StopReason) -> None:
        await self.ctx.clock.sleep(self.ctx.config.media_reconnect_window_s)
        self._media_reconnect.pop(kind, None)
        if kind not in self.media and not self.terminated:
            self.record("media_reconnect_window_expired", media=kind)
            await self.terminate(final)

    async def on_media_attached(self, conn: Conn) -> None:
        """A media socket completed its handshake."""
        for kind in conn.kinds:
            self.media[kind] = conn
            task = self._media_reconnect.pop(kind, None)
            if task is not None:
                task.cancel()
        if self.state == StreamState.INTERRUPTED and self.ready and not self._media_reconnect:
            await self.set_state(StreamState.ACTIVE)
        self.pulse()

    async def failover(self, new_node: RtmsNode) -> None:
        """Move to another RTMS server: sockets dropped, second ``rtms_started`` with new URLs."""
        old = self.node.signaling_url
        self.node = new_node
        self.ready = False
        for conn in self.connections():
            await conn.close(abort=True)
        self.signaling = None
        self.media.clear()
        self.state = StreamState.INTERRUPTED
        self.record("failover", old_server_urls=old, server_urls=self.server_urls)
        self.send_webhook("meeting.rtms_started", self.webhook_payload())
        self._start_reconnect_window(
            self.ctx.config.signaling_reconnect_window_s,
            StopReason.STOP_BC_AWAIT_RECONNECTION_TIMEOUT,
        )

    # ------------------------------------------------------------------ media output

    async def flush_text(self, conn: Conn, kind: str) -> None:
        """Send buffered transcript/chat frames not yet delivered (older than the window are
        dropped)."""
        items = self.logs.items[kind]
        horizon = self.ctx.clock.monotonic() - self.ctx.config.buffer_window_s
        while self.logs.cursors[kind] < len(items) and self.deliverable():
            index = self.logs.cursors[kind]
            item = items[index]
            if item.t >= horizon:
                await conn.send(item.msg)
                conn.sent.append((kind, index))
                del conn.sent[:-16]
            else:
                self.record("buffer_expired", media=kind, index=index)
            self.logs.cursors[kind] = index + 1

    async def flush_audio(self, conn: Conn, max_frames: int) -> int:
        """Send due audio frames (buffered backlog first); returns how many intervals went out."""
        params = conn.params.audio if conn.params is not None else None
        if params is None:
            return 0
        frame_ms = params.send_rate or 20
        now_ms = int(self.ctx.clock.monotonic() * 1000)
        horizon_ms = now_ms - int(self.ctx.config.buffer_window_s * 1000)
        if self.audio_cursor_ms < horizon_ms:
            self.audio_cursor_ms = horizon_ms
        per_participant = params.data_opt == MediaDataOption.AUDIO_MULTI_STREAMS
        sent = 0
        start_ms = int(self.meeting.started_t * 1000)
        while self.audio_cursor_ms + frame_ms <= now_ms and sent < max_frames:
            if not self.deliverable():
                break
            cursor = self.audio_cursor_ms
            frames = self.meeting.audio.frames(
                (cursor - start_ms) / 1000, params, per_participant=per_participant
            )
            ts = self.ctx.clock.epoch_ms_at(cursor / 1000)
            for frame in frames:
                speaker = frame.speaker
                await conn.send(
                    MediaDataAudio(
                        frame.payload,
                        ts,
                        0 if speaker is None else speaker.user_id,
                        "" if speaker is None else speaker.name,
                        len(frame.payload),
                    ),
                    record=self.ctx.extras.get("record_audio", True),
                )
            self.audio_cursor_ms = cursor + frame_ms
            sent += 1
        return sent

    async def run_media_sender(self, conn: Conn) -> None:
        """Deliver this socket's media kinds until it closes."""
        text_kinds = [k for k in conn.kinds if k in TEXT_KINDS]
        audio = "audio" in conn.kinds and conn.params is not None and conn.params.audio is not None
        frame_s = (
            (conn.params.audio.send_rate or 20)
            if audio and conn.params and conn.params.audio
            else 20
        ) / 1000
        while True:
            if not self.deliverable():
                until = self.delay_until if self.delay_until > self.ctx.clock.monotonic() else None
                await self.wait_change(until)
                continue
            for kind in text_kinds:
                await self.flush_text(conn, kind)
            if audio:
                sent = await self.flush_audio(conn, max_frames=25)
                if sent >= 25:
                    await asyncio.sleep(0)  # behind schedule: yield to other sockets, then go on
                    continue
                await self.wait_change(self.audio_cursor_ms / 1000 + frame_s)
            else:
                await self.wait_change()
