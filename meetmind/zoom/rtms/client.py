"""The RTMS client: one stream's signaling and media WebSockets, kept alive through failures.

Each socket has its own reader task that answers keep-alives the moment they arrive and puts
events on a queue; one dispatcher hands them to the application in order. A slow application
therefore never delays a keep-alive answer, on any socket.

Reconnection follows Zoom's failover table:

* a repeated ``rtms_started`` for this stream (:meth:`RtmsStreamClient.failover`): close
  everything and connect from scratch to the new ``server_urls``, at once;
* ``rtms_interrupted`` (:meth:`RtmsStreamClient.interrupted`): signaling and media again;
* EVENT_UPDATE 7 or STREAM_STATE_UPDATE INTERRUPTED/14 on signaling: reconnect the dropped media
  socket only;
* a bare close is not a trigger: the client waits for one of the above, and reconnects by itself
  only when none came within ``trigger_wait`` (Zoom's 65 s keep-alive window);
* a TERMINATED stream ends the client.

Failed attempts back off 3 s doubling to 30 s (jittered), reset after a successful handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from meetmind.clock import Clock, SystemClock
from meetmind.domain.events import StreamEvent, StreamPhase, StreamStateChanged
from meetmind.zoom.rtms.enums import (
    AudioChannel,
    AudioSampleRate,
    EventType,
    MediaCodec,
    MediaContentType,
    MediaDataOption,
    MediaType,
    StatusCode,
)
from meetmind.zoom.rtms.errors import ProtocolError
from meetmind.zoom.rtms.messages import (
    ClientReadyAck,
    DataHandshakeRequest,
    DataHandshakeResponse,
    EventSubscription,
    KeepAliveRequest,
    Message,
    SignalingHandshakeRequest,
    SignalingHandshakeResponse,
    StreamCloseRequest,
    Subscription,
)
from meetmind.zoom.rtms.params import AudioParams, ChatParams, MediaParams, TranscriptParams
from meetmind.zoom.rtms.policy import (
    Backoff,
    HandshakeVerdict,
    classify_handshake_status,
    signaling_directive,
    to_stream_event,
)
from meetmind.zoom.rtms.protocol import decode, encode, handshake_signature

__all__ = [
    "ClientState",
    "ClientStats",
    "RtmsClientConfig",
    "RtmsStreamClient",
    "RtmsTarget",
    "WebSocketLike",
]

log = logging.getLogger(__name__)

MEDIA_TYPES: dict[str, MediaType] = {
    "audio": MediaType.AUDIO,
    "video": MediaType.VIDEO,
    "deskshare": MediaType.DESKSHARE,
    "transcript": MediaType.TRANSCRIPT,
    "chat": MediaType.CHAT,
}
DEFAULT_AUDIO = AudioParams(
    content_type=MediaContentType.RAW_AUDIO,
    sample_rate=AudioSampleRate.SR_16K,
    channel=AudioChannel.MONO,
    codec=MediaCodec.L16,
    data_opt=MediaDataOption.AUDIO_MIXED_STREAM,
    send_rate=20,
)


class WebSocketLike(Protocol):
    """What the client needs of a WebSocket connection (``websockets``' ClientConnection)."""

    async def send(self, message: str) -> None:
        """Send a text frame."""

    async def recv(self) -> str | bytes:
        """Receive a frame; raises ``ConnectionClosed`` when the socket is closed."""

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket."""


Connector = Callable[[str], Awaitable[WebSocketLike]]
EventHandler = Callable[[StreamEvent], Awaitable[None]]


async def _default_connect(url: str) -> WebSocketLike:
    connection: WebSocketLike = await ws_connect(
        url, open_timeout=10, max_size=2**23, compression=None, ping_interval=20, ping_timeout=20
    )
    return connection


@dataclass(frozen=True)
class RtmsTarget:
    """Which stream to join, from the ``rtms_started`` webhook."""

    meeting_uuid: str
    rtms_stream_id: str
    server_urls: str


@dataclass(frozen=True)
class RtmsClientConfig:
    """How to join. ``media`` names the media sockets to open, one per type."""

    client_id: str
    client_secret: str = field(repr=False)
    media: tuple[str, ...] = ("transcript", "audio", "chat")
    audio: AudioParams = DEFAULT_AUDIO
    buffer_data: bool = True
    handshake_timeout: float = 10.0
    reconnect_base: float = 3.0
    reconnect_max: float = 30.0
    trigger_wait: float = 65.0
    silence_timeout: float = 65.0
    agent: str = "meetmind-0.1"

    def __post_init__(self) -> None:
        unknown = [kind for kind in self.media if kind not in MEDIA_TYPES]
        if unknown or not self.media:
            raise ValueError(f"media must be some of {sorted(MEDIA_TYPES)}, got {self.media}")

    def params_for(self, kind: str) -> MediaParams | None:
        """The media parameters asked for on ``kind``'s socket."""
        if kind == "audio":
            return MediaParams(audio=self.audio)
        if kind == "transcript":
            return MediaParams(transcript=TranscriptParams(content_type=MediaContentType.TEXT))
        if kind == "chat":
            return MediaParams(chat=ChatParams(content_type=MediaContentType.TEXT))
        return None


class ClientState(StrEnum):
    """Where the client is."""

    IDLE = "idle"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    WAITING = "waiting"
    """Connection lost; waiting for Zoom's reconnect trigger or the backoff."""
    CLOSED = "closed"


@dataclass
class ClientStats:
    """Counters for metrics and tests."""

    frames: int = 0
    malformed_frames: int = 0
    keepalives_answered: int = 0
    connects: int = 0
    media_reconnects: int = 0
    handshake_failures: int = 0
    stale_interruptions: int = 0
    """``rtms_interrupted`` webhooks that arrived while signaling was demonstrably alive."""


class _Reconnect(Exception):  # noqa: N818 - control flow inside this module
    def __init__(self, *, immediate: bool, why: str) -> None:
        super().__init__(why)
        self.immediate = immediate
        self.why = why


class _Finished(Exception):  # noqa: N818 - control flow inside this module
    def __init__(self, phase: StreamPhase, reason: int | None, detail: str) -> None:
        super().__init__(detail)
        self.phase = phase
        self.reason = reason
        self.detail = detail


_SIGNALING_FRESH_S = 12.0
"""Zoom sends a keep-alive every 10 s: signaling heard within this is alive."""

_OUTSIDE = frozenset({"close", "terminated", "failover", "interrupted"})


@dataclass(frozen=True)
class _Trigger:
    kind: str  # signaling_closed | media_closed | media_interrupted | interrupted | failover
    #            | terminated | close
    media: str | None = None
    reason: int | None = None
    urls: str | None = None
    generation: int | None = None
    """Which connection a socket trigger came from (None: from outside, always current)."""


class RtmsStreamClient:
    """Joins one RTMS stream and reports its events until the stream ends."""

    def __init__(
        self,
        target: RtmsTarget,
        config: RtmsClientConfig,
        on_event: EventHandler,
        *,
        clock: Clock | None = None,
        connect: Connector | None = None,
    ) -> None:
        self.target = target
        self.config = config
        self._on_event = on_event
        self._clock = clock or SystemClock()
        self._connect = connect or _default_connect
        self.state = ClientState.IDLE
        self.stats = ClientStats()
        self._triggers: asyncio.Queue[_Trigger] = asyncio.Queue()
        self._events: asyncio.Queue[StreamEvent | None] = asyncio.Queue()
        self._signaling: WebSocketLike | None = None
        self._media: dict[str, WebSocketLike] = {}
        self._media_down: set[str] = set()
        self._media_trigger = False
        self._media_urls: dict[str, str] = {}
        self._generation = 0
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._backoff = Backoff(config.reconnect_base, config.reconnect_max)
        self._sequence_origin = self._clock.monotonic()
        self._ever_connected = False
        self._unknown_since: float | None = None
        self._last_signal = self._clock.monotonic()
        self.ready = asyncio.Event()
        """Set while the stream is fully connected (signaling, media, ready ack sent)."""

    # -- control from outside (webhooks) ---------------------------------------------------------

    def failover(self, server_urls: str) -> None:
        """Zoom moved the stream to new servers: reconnect everything there."""
        self._triggers.put_nowait(_Trigger("failover", urls=server_urls))

    def interrupted(self) -> None:
        """Zoom says the signaling connection was interrupted: redo signaling and media."""
        self._triggers.put_nowait(_Trigger("interrupted"))

    def stopped(self, reason: int | None) -> None:
        """Zoom says the stream stopped (``rtms_stopped``): close everything."""
        self._triggers.put_nowait(_Trigger("terminated", reason=reason))

    async def close(self, *, request_close: bool = False) -> None:
        """Leave the stream; with ``request_close`` ask Zoom to end it (STREAM_CLOSE_REQ)."""
        if request_close and self._signaling is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._send(self._signaling, StreamCloseRequest(self.target.rtms_stream_id))
        self._triggers.put_nowait(_Trigger("close"))

    # -- the life of the client ------------------------------------------------------------------

    async def run(self) -> StreamStateChanged:
        """Stream until the stream ends, fails for good, or :meth:`close` is called.

        Returns:
            The final state: STOPPED (with Zoom's stop reason), FAILED (with why), or LEFT
            (:meth:`close` was called).
        """
        dispatcher = asyncio.create_task(self._dispatch(), name="rtms-dispatch")
        try:
            final = await self._lifecycle()
        finally:
            self.state = ClientState.CLOSED
            await self._close_sockets()
            self._events.put_nowait(None)
            await dispatcher
        return final

    async def _lifecycle(self) -> StreamStateChanged:
        immediate = True
        why = ""
        while True:
            if not immediate:
                delay = self._backoff.next()
                log.info(
                    "stream %s: reconnecting in %.2fs (%s)", self.target.rtms_stream_id, delay, why
                )
                try:
                    await self._wait_between_attempts(delay)
                except _Reconnect:
                    pass  # a failover during the wait: connect now, to the new URLs
                except _Finished as done:
                    return await self._finish(done)
            try:
                await self._connect_stream()
                await self._serve()
            except _Reconnect as again:
                immediate, why = again.immediate, again.why
                self.state = ClientState.WAITING
                self.ready.clear()
                await self._close_sockets()
                if self._ever_connected:
                    await self._emit(StreamStateChanged(StreamPhase.INTERRUPTED, detail=again.why))
            except _Finished as done:
                return await self._finish(done)

    async def _finish(self, done: _Finished) -> StreamStateChanged:
        if done.phase is StreamPhase.STOPPED:
            await self._drain_media()
        elif done.phase is StreamPhase.LEFT and self._signaling is not None:
            # Leaving (e.g. handing the stream to another worker): hang up signaling first and
            # read the media sockets until Zoom closes them, so that no frame Zoom already sent
            # is dropped; from then on Zoom buffers for whoever reconnects.
            reader = self._readers.pop("signaling", None)
            if reader is not None:
                reader.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._signaling.close(), timeout=2)
            await self._drain_media()
        final = StreamStateChanged(done.phase, reason=done.reason, detail=done.detail)
        await self._emit(final)
        return final

    async def _wait_between_attempts(self, delay: float, *, keep: bool = False) -> None:
        """Sleep ``delay``, but act on close, stop and failover at once.

        Socket triggers that arrive meanwhile are dropped, or with ``keep`` put back for later.
        """
        deadline = self._clock.monotonic() + delay
        kept: list[_Trigger] = []
        try:
            while (left := deadline - self._clock.monotonic()) > 0:
                try:
                    trigger = await asyncio.wait_for(self._triggers.get(), timeout=left)
                except TimeoutError:
                    return
                if trigger.kind in _OUTSIDE:
                    self._apply_outside_trigger(trigger)
                elif keep:
                    kept.append(trigger)
        finally:
            for trigger in kept:
                self._triggers.put_nowait(trigger)

    def _apply_outside_trigger(self, trigger: _Trigger) -> None:
        """Triggers that matter while disconnected: close, stop, failover."""
        if trigger.kind == "close":
            raise _Finished(StreamPhase.LEFT, None, "closed by MeetMind")
        if trigger.kind == "terminated":
            raise _Finished(StreamPhase.STOPPED, trigger.reason, "stream stopped")
        if trigger.kind == "failover" and trigger.urls:
            self.target = RtmsTarget(
                self.target.meeting_uuid, self.target.rtms_stream_id, trigger.urls
            )
            raise _Reconnect(immediate=True, why="failover")
        if trigger.kind == "interrupted":
            raise _Reconnect(immediate=True, why="rtms_interrupted")

    # -- connecting ------------------------------------------------------------------------------

    def _sequence(self) -> int:
        return int((self._clock.monotonic() - self._sequence_origin) * 1000)

    def _signature(self) -> str:
        return handshake_signature(
            self.config.client_id,
            self.config.client_secret,
            self.target.meeting_uuid,
            self.target.rtms_stream_id,
        )

    async def _open(self, url: str, what: str) -> WebSocketLike:
        try:
            return await asyncio.wait_for(self._connect(url), self.config.handshake_timeout)
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as exc:
            self.stats.handshake_failures += 1
            if isinstance(exc, InvalidURI):
                raise _Finished(StreamPhase.FAILED, None, f"bad {what} URL: {url}") from exc
            raise _Reconnect(immediate=False, why=f"{what} connect failed: {exc!r}") from exc

    async def _connect_stream(self) -> None:
        self.state = ClientState.CONNECTING
        self.stats.connects += 1
        signaling = await self._open(self.target.server_urls, "signaling")
        self._signaling = signaling
        await self._send_connecting(
            signaling,
            SignalingHandshakeRequest(
                meeting_uuid=self.target.meeting_uuid,
                rtms_stream_id=self.target.rtms_stream_id,
                signature=self._signature(),
                sequence=self._sequence(),
                buffer_data=self.config.buffer_data,
                rtms_client_agent=self.config.agent,
            ),
        )
        answer = await self._await_reply(signaling, SignalingHandshakeResponse, "signaling")
        if answer.status_code != StatusCode.OK:
            self._handshake_failed("signaling", answer.status_code, answer.reason)
        urls = answer.media_server_urls or {}
        for kind in self.config.media:
            await self._connect_media(kind, urls)
        await self._send_connecting(signaling, ClientReadyAck(self.target.rtms_stream_id))
        await self._send_connecting(
            signaling,
            EventSubscription(
                (
                    Subscription(EventType.ACTIVE_SPEAKER_CHANGE),
                    Subscription(EventType.PARTICIPANT_JOIN),
                    Subscription(EventType.PARTICIPANT_LEAVE),
                )
            ),
        )
        self._media_urls = urls
        self._media_down.clear()  # a full connect brought every media socket up again
        self._media_trigger = False
        self._generation += 1
        self._last_signal = self._clock.monotonic()
        self._readers["signaling"] = asyncio.create_task(
            self._read("signaling", signaling), name="rtms-signaling"
        )
        for kind, socket in self._media.items():
            self._readers[kind] = asyncio.create_task(self._read(kind, socket), name=f"rtms-{kind}")
        self._backoff.reset()
        self._unknown_since = None
        self.state = ClientState.STREAMING
        self.ready.set()
        phase = StreamPhase.RECONNECTED if self._ever_connected else StreamPhase.CONNECTED
        self._ever_connected = True
        await self._emit(StreamStateChanged(phase))

    async def _connect_media(self, kind: str, urls: dict[str, str]) -> None:
        url = urls.get(kind) or urls.get("all")
        if url is None:
            log.warning("stream %s: Zoom offers no %s socket", self.target.rtms_stream_id, kind)
            return
        socket = await self._open(url, f"{kind} media")
        await self._send_connecting(
            socket,
            DataHandshakeRequest(
                meeting_uuid=self.target.meeting_uuid,
                rtms_stream_id=self.target.rtms_stream_id,
                signature=self._signature(),
                media_type=int(MEDIA_TYPES[kind]),
                media_params=self.config.params_for(kind),
                payload_encryption=False,
                sequence=self._sequence(),
                rtms_client_agent=self.config.agent,
            ),
        )
        answer = await self._await_reply(socket, DataHandshakeResponse, f"{kind} media")
        if answer.status_code != StatusCode.OK:
            verdict = classify_handshake_status(answer.status_code)
            if verdict is HandshakeVerdict.SKIP_MEDIA:
                log.warning(
                    "stream %s: no %s (status %d: %s)",
                    self.target.rtms_stream_id,
                    kind,
                    answer.status_code,
                    answer.reason,
                )
                await socket.close()
                return
            await socket.close()
            self._handshake_failed(f"{kind} media", answer.status_code, answer.reason)
        self._media[kind] = socket

    def _handshake_failed(self, what: str, status: int, reason: str) -> None:
        self.stats.handshake_failures += 1
        detail = f"{what} handshake refused: status {status} {reason}".strip()
        verdict = classify_handshake_status(status, reconnecting=self._ever_connected)
        if verdict is HandshakeVerdict.AWAIT_FAILOVER:
            now = self._clock.monotonic()
            if self._unknown_since is None:
                self._unknown_since = now
            if now - self._unknown_since <= self.config.trigger_wait:
                raise _Reconnect(immediate=False, why=detail)
            verdict = HandshakeVerdict.FATAL
        if verdict is HandshakeVerdict.FATAL:
            raise _Finished(StreamPhase.FAILED, status, detail)
        raise _Reconnect(immediate=False, why=detail)

    async def _await_reply(self, socket: WebSocketLike, expected: type[Any], what: str) -> Any:
        """The handshake reply, answering keep-alives meanwhile; garbage is skipped."""
        deadline = self._clock.monotonic() + self.config.handshake_timeout
        while True:
            left = deadline - self._clock.monotonic()
            try:
                frame = await asyncio.wait_for(socket.recv(), timeout=max(left, 0.001))
            except TimeoutError:
                raise _Reconnect(immediate=False, why=f"no {what} handshake reply") from None
            except ConnectionClosed as exc:
                raise _Reconnect(immediate=False, why=f"{what} closed in handshake") from exc
            message = self._decode(frame)
            if isinstance(message, expected):
                return message
            if isinstance(message, KeepAliveRequest):
                await self._answer_keepalive(socket, message)

    # -- streaming -------------------------------------------------------------------------------

    async def _serve(self) -> None:
        """React to triggers until the connection must be redone or the stream is over."""
        signaling_lost_at: float | None = None
        while True:
            now = self._clock.monotonic()
            timeout = self.config.silence_timeout - (now - self._last_signal)
            if signaling_lost_at is not None:
                timeout = min(timeout, self.config.trigger_wait - (now - signaling_lost_at))
            if self._media_down and not self._media_trigger:
                timeout = min(timeout, self.config.trigger_wait)
            try:
                trigger = await asyncio.wait_for(self._triggers.get(), timeout=max(timeout, 0.001))
            except TimeoutError:
                if signaling_lost_at is not None:
                    raise _Reconnect(
                        immediate=True, why="no trigger after signaling loss"
                    ) from None
                if self._media_down:
                    await self._reconnect_media()
                    continue
                raise _Reconnect(immediate=True, why="signaling silent too long") from None
            if trigger.generation is not None and trigger.generation != self._generation:
                continue  # left over from a connection that is gone
            if trigger.kind == "interrupted" and self._signaling_alive():
                # About a connection we have already replaced (our own reconnect makes Zoom
                # send one too): acting on it would drop a healthy connection, and again.
                self.stats.stale_interruptions += 1
                log.info("stream %s: ignoring a stale rtms_interrupted", self.target.rtms_stream_id)
                continue
            if trigger.kind in _OUTSIDE:
                self._apply_outside_trigger(trigger)
            elif trigger.kind == "signaling_closed":
                if self._readers.get("signaling") is not None:
                    log.info("stream %s: signaling closed", self.target.rtms_stream_id)
                    self.ready.clear()
                    await self._close_sockets()
                    signaling_lost_at = self._clock.monotonic()
            elif trigger.kind == "media_closed" and trigger.media:
                self._media_down.add(trigger.media)
                self._media.pop(trigger.media, None)
                self.ready.clear()
                if self._media_trigger:
                    await self._reconnect_media()
            elif trigger.kind == "media_interrupted":
                self._media_trigger = True
                await self._reconnect_media()

    def _signaling_alive(self) -> bool:
        """Connected, with signaling heard within one of Zoom's keep-alive periods (10 s)."""
        reader = self._readers.get("signaling")
        return (
            reader is not None
            and not reader.done()
            and self._clock.monotonic() - self._last_signal < _SIGNALING_FRESH_S
        )

    async def _reconnect_media(self) -> None:
        """Reconnect each dropped media socket (same URL), backing off between failures."""
        backoff = Backoff(self.config.reconnect_base, self.config.reconnect_max)
        for kind in sorted(self._media_down):
            if kind in self._media:  # connected again meanwhile: reconnecting would duplicate it
                self._media_down.discard(kind)
                continue
            while True:
                try:
                    await self._connect_media(kind, self._media_urls)
                except _Reconnect as failed:
                    delay = backoff.next()
                    log.info("%s reconnect failed (%s); retry in %.2fs", kind, failed.why, delay)
                    await self._wait_between_attempts(delay, keep=True)
                    continue
                break
            self._media_down.discard(kind)
            self.stats.media_reconnects += 1
            socket = self._media.get(kind)
            if socket is not None:
                self._readers[kind] = asyncio.create_task(
                    self._read(kind, socket), name=f"rtms-{kind}"
                )
        self._media_trigger = False
        if not self._media_down and self._signaling is not None:
            self.ready.set()
            await self._emit(StreamStateChanged(StreamPhase.RECONNECTED, detail="media"))

    async def _read(self, name: str, socket: WebSocketLike) -> None:
        """Read one socket until it closes: answer keep-alives, queue events, skip garbage."""
        generation = self._generation
        try:
            while True:
                frame = await socket.recv()
                self.stats.frames += 1
                if name == "signaling":
                    self._last_signal = self._clock.monotonic()
                message = self._decode(frame)
                if message is None:
                    continue
                if isinstance(message, KeepAliveRequest):
                    await self._answer_keepalive(socket, message)
                    continue
                if name == "signaling":
                    directive = signaling_directive(message)
                    if directive.terminate is not None:
                        self._triggers.put_nowait(
                            _Trigger("terminated", reason=int(directive.terminate))
                        )
                    elif directive.reconnect_media:
                        self._triggers.put_nowait(
                            _Trigger("media_interrupted", generation=generation)
                        )
                event = to_stream_event(message)
                if event is not None:
                    self._events.put_nowait(event)
        except ConnectionClosed:
            kind = "signaling_closed" if name == "signaling" else "media_closed"
            media = None if name == "signaling" else name
            self._triggers.put_nowait(_Trigger(kind, media=media, generation=generation))

    def _decode(self, frame: str | bytes) -> Message | None:
        try:
            return decode(frame)
        except ProtocolError as exc:
            self.stats.malformed_frames += 1
            log.debug("stream %s: skipped a bad frame: %s", self.target.rtms_stream_id, exc)
            return None

    async def _answer_keepalive(self, socket: WebSocketLike, request: KeepAliveRequest) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._send(socket, request.answer())
            self.stats.keepalives_answered += 1

    async def _send(self, socket: WebSocketLike, message: Message) -> None:
        await socket.send(encode(message))

    async def _send_connecting(self, socket: WebSocketLike, message: Message) -> None:
        """Send during a handshake: a socket closed under us means connect again, not crash."""
        try:
            await self._send(socket, message)
        except (ConnectionClosed, OSError) as exc:
            raise _Reconnect(immediate=False, why=f"closed while connecting: {exc!r}") from exc

    async def _emit(self, event: StreamEvent) -> None:
        self._events.put_nowait(event)

    async def _dispatch(self) -> None:
        while (event := await self._events.get()) is not None:
            try:
                await self._on_event(event)
            except Exception:  # the application's bug must not kill the stream
                log.exception("stream %s: event handler failed", self.target.rtms_stream_id)

    async def _drain_media(self, grace_s: float = 2.0) -> None:
        """Zoom stopped the stream: read what is still in flight on the media sockets (Zoom
        closes them after its last frames) instead of cutting the last utterance off."""
        readers = [task for name, task in self._readers.items() if name != "signaling"]
        if readers:
            await asyncio.wait(readers, timeout=grace_s)

    async def _close_sockets(self) -> None:
        readers = list(self._readers.values())
        self._readers.clear()
        for task in readers:
            task.cancel()
        if readers:
            await asyncio.gather(*readers, return_exceptions=True)
        sockets = [s for s in [self._signaling, *self._media.values()] if s is not None]
        self._signaling = None
        self._media.clear()
        for socket in sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(), timeout=2)
