"""The stream supervisor: owns this process's live RTMS streams.

It turns Zoom's stream webhooks (routed by the inbox) into client actions: start a client on
``rtms_started``, fail over on a repeated one, reconnect on ``rtms_interrupted``, stop on
``rtms_stopped``. At start-up it resumes the streams that were live when the process last
stopped, so a restart (even a crash) rejoins within Zoom's reconnection window.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from meetmind.clock import Clock
from meetmind.config import Settings
from meetmind.domain.events import AudioReceived, StreamEvent, StreamPhase, StreamStateChanged
from meetmind.runtime.audio import WavRecorder
from meetmind.runtime.ingest import Ingestor, StreamContext
from meetmind.store.db import Database
from meetmind.store.repo import SessionRepo, live_streams
from meetmind.zoom.events import RtmsStreamEvent
from meetmind.zoom.rtms.client import Connector, RtmsClientConfig, RtmsStreamClient, RtmsTarget

__all__ = ["StreamSupervisor"]

log = logging.getLogger(__name__)


@dataclass
class _Live:
    context: StreamContext
    client: RtmsStreamClient
    task: asyncio.Task[StreamStateChanged]
    audio: WavRecorder | None


class StreamSupervisor:
    """Starts, fails over, reconnects and stops RTMS clients for sessions."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        ingestor: Ingestor,
        *,
        connect: Connector | None = None,
        on_finished: Callable[[str, StreamStateChanged], Awaitable[None]] | None = None,
    ) -> None:
        self._settings = settings
        self._database = database
        self._clock = clock
        self._ingestor = ingestor
        self._connect = connect
        self._live: dict[str, _Live] = {}
        self._on_finished = on_finished
        self._closing = False
        self.config = RtmsClientConfig(
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret.get_secret_value(),
            media=tuple(settings.rtms_media),
            reconnect_base=settings.rtms_reconnect_base_seconds,
            reconnect_max=settings.rtms_reconnect_max_seconds,
            trigger_wait=settings.rtms_trigger_wait_seconds,
        )

    def client(self, session_id: str) -> RtmsStreamClient | None:
        """The live client of a session, if this process has one."""
        live = self._live.get(session_id)
        return live.client if live else None

    @property
    def session_ids(self) -> list[str]:
        """Sessions whose streams this process owns."""
        return list(self._live)

    def owns(self, session_id: str) -> bool:
        """Whether this process runs the session's stream."""
        return session_id in self._live

    def context(self, session_id: str) -> StreamContext | None:
        """Whose stream it is and the fence its writes carry, if this process runs it."""
        live = self._live.get(session_id)
        return live.context if live else None

    # -- the RtmsStreamSink protocol (called by the webhook inbox) -----------------------------

    async def rtms_started(
        self, tenant_id: str, session_id: str, event: RtmsStreamEvent, *, failover: bool
    ) -> None:
        """Join the stream, or move an existing client to the new servers."""
        live = self._live.get(session_id)
        if live is not None and live.context.stream_id == event.rtms_stream_id:
            if event.server_urls:
                log.info("stream %s: failover to %s", event.rtms_stream_id, event.server_urls)
                live.client.failover(event.server_urls)
            return
        if live is not None:
            await self._stop(session_id)
        if not event.server_urls:
            log.warning("rtms_started for session %s has no server_urls", session_id)
            return
        await self._start(
            tenant_id,
            session_id,
            RtmsTarget(event.meeting_uuid, event.rtms_stream_id, event.server_urls),
        )

    async def rtms_stopped(self, tenant_id: str, session_id: str, event: RtmsStreamEvent) -> None:
        """Zoom ended the stream: the client closes (its final state comes from the webhook)."""
        live = self._live.get(session_id)
        if live is not None and live.context.stream_id == event.rtms_stream_id:
            live.client.stopped(event.stop_reason)

    async def rtms_interrupted(
        self, tenant_id: str, session_id: str, event: RtmsStreamEvent
    ) -> None:
        """Zoom lost our signaling connection: redo signaling and media."""
        live = self._live.get(session_id)
        if live is not None and live.context.stream_id == event.rtms_stream_id:
            live.client.interrupted()
            return
        if live is None and event.server_urls:  # e.g. the process restarted in between
            await self._start(
                tenant_id,
                session_id,
                RtmsTarget(event.meeting_uuid, event.rtms_stream_id, event.server_urls),
            )

    # -- lifecycle -----------------------------------------------------------------------------

    async def resume(self) -> int:
        """Rejoin every stream that was live when this database's process last stopped."""
        async with self._database.transaction() as db:
            streams = await live_streams(db)
        for stream in streams:
            if stream.session_id not in self._live:
                log.info(
                    "resuming stream %s of session %s", stream.rtms_stream_id, stream.session_id
                )
                await self._start(
                    stream.tenant_id,
                    stream.session_id,
                    RtmsTarget(stream.meeting_uuid, stream.rtms_stream_id, stream.server_urls),
                )
        return len(streams)

    async def close(self) -> None:
        """Leave every stream (Zoom keeps them for a while, so a restart can rejoin)."""
        self._closing = True
        await asyncio.gather(*(self._stop(session_id) for session_id in list(self._live)))

    async def join(
        self, tenant_id: str, session_id: str, target: RtmsTarget, *, fence: int | None = None
    ) -> None:
        """Join a stream (scale-out: as the owner holding ``fence``)."""
        if session_id in self._live:
            await self._stop(session_id)
        await self._start(tenant_id, session_id, target, fence=fence)

    async def leave(self, session_id: str) -> None:
        """Leave a stream without ending it (another process may take it over)."""
        await self._stop(session_id)

    async def _start(
        self, tenant_id: str, session_id: str, target: RtmsTarget, *, fence: int | None = None
    ) -> None:
        async with self._database.transaction() as db:
            row = await SessionRepo(db, tenant_id).row(session_id)
            audio = None
            if row.record_audio:
                path = Path(self._settings.data_dir) / "audio" / f"{session_id}.wav"
                row.audio_path = str(path)
                audio = WavRecorder(path)
        context = StreamContext(tenant_id, session_id, target.rtms_stream_id, fence)

        async def on_event(event: StreamEvent) -> None:
            if isinstance(event, AudioReceived):
                if audio is not None:
                    await audio.add(event.data)
                return
            self._ingestor.submit(context, event)

        client = RtmsStreamClient(
            target, self.config, on_event, clock=self._clock, connect=self._connect
        )
        task = asyncio.create_task(self._run(session_id, client), name=f"stream:{session_id}")
        self._live[session_id] = _Live(context, client, task, audio)

    async def _run(self, session_id: str, client: RtmsStreamClient) -> StreamStateChanged:
        try:
            final = await client.run()
        finally:
            live = self._live.get(session_id)
            if live is not None and live.client is client:
                del self._live[session_id]
                if live.audio is not None:
                    await live.audio.close()
        if final.phase is not StreamPhase.LEFT:
            log.info("stream of session %s ended: %s", session_id, final.phase.value)
        if self._on_finished is not None:
            try:
                await self._on_finished(session_id, final)
            except Exception:
                log.exception("stream %s: the on_finished hook failed", session_id)
        return final

    async def _stop(self, session_id: str) -> None:
        live = self._live.get(session_id)
        if live is None:
            return
        await live.client.close()
        await asyncio.gather(live.task, return_exceptions=True)
