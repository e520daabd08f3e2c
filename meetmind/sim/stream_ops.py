"""Operations on meetings and streams shared by the REST API, the admin API and scripts."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from websockets.exceptions import ConnectionClosed

from meetmind.domain.errors import ConflictError
from meetmind.sim.context import SimContext
from meetmind.sim.faults import Fault, FaultKind
from meetmind.sim.stream import MALFORMED_SAMPLES, Conn, RtmsStream
from meetmind.zoom.rtms.enums import StopReason, StreamState

if TYPE_CHECKING:
    from meetmind.sim.meeting import Meeting

__all__ = ["RtmsActionError", "apply_fault", "rtms_action", "start_rtms"]


class RtmsActionError(ConflictError):
    """An RTMS action does not fit the stream's current state."""

    code = "rtms_action_not_allowed"


def start_rtms(
    ctx: SimContext, meeting: Meeting, *, operator_id: str, webhook_url: str | None = None
) -> RtmsStream:
    """Create a stream for a live meeting and send ``meeting.rtms_started`` shortly after.

    Raises:
        RtmsActionError: The meeting is not live or already has a live stream.
    """
    from meetmind.sim.meeting import MeetingStatus

    if meeting.status != MeetingStatus.STARTED:
        raise RtmsActionError(f"meeting {meeting.id} is not live")
    if meeting.live_streams():
        raise RtmsActionError(f"meeting {meeting.id} already has a live RTMS stream")
    meeting.begin_script()  # a script held for RTMS starts with the stream
    stream = RtmsStream(
        ctx, meeting, ctx.nodes[0], operator_id=operator_id, webhook_url=webhook_url
    )
    meeting.streams.append(stream)
    ctx.streams[stream.stream_id] = stream
    stream.record("rtms.start_requested", operator_id=operator_id)

    async def _announce() -> None:
        await ctx.clock.sleep(ctx.config.rtms_start_delay_s)
        if not stream.terminated:
            stream.send_webhook("meeting.rtms_started", stream.webhook_payload())

    ctx.tasks.spawn(f"rtms-started:{stream.stream_id}", _announce())
    return stream


async def rtms_action(
    ctx: SimContext, meeting: Meeting, action: str, *, operator_id: str
) -> RtmsStream:
    """Apply a REST ``rtms_app/status`` action (start, stop, pause, resume).

    Raises:
        RtmsActionError: The action does not fit the current state.
    """
    if action == "start":
        return start_rtms(ctx, meeting, operator_id=operator_id)
    live = meeting.live_streams()
    if not live:
        raise RtmsActionError(f"meeting {meeting.id} has no live RTMS stream")
    stream = live[-1]
    if action == "stop":
        await stream.terminate(StopReason.STOP_BC_USER_TRIGGERED)
    elif action == "pause":
        if stream.state == StreamState.PAUSED:
            raise RtmsActionError("the stream is already paused")
        await stream.pause()
    elif action == "resume":
        if stream.state != StreamState.PAUSED:
            raise RtmsActionError("the stream is not paused")
        await stream.resume()
    else:
        raise RtmsActionError(f"unknown action {action!r}")
    return stream


_malformed = itertools.cycle(MALFORMED_SAMPLES)


async def apply_fault(ctx: SimContext, meeting: Meeting, fault: Fault) -> None:
    """Inject one fault into a meeting's live streams (recorded on channel ``fault``)."""
    streams = meeting.live_streams()
    ctx.recorder.add(
        "fault",
        "event",
        fault.kind.value,
        meeting_id=meeting.id,
        streams=[s.stream_id for s in streams],
        fault=fault.to_json(),
    )
    kind = fault.kind
    if kind == FaultKind.END_MEETING:
        await meeting.end()
        return
    if kind == FaultKind.DUPLICATE_WEBHOOK:
        if ctx.webhooks is not None:
            ctx.webhooks.duplicate_next += fault.count
        return
    for stream in streams:
        await _apply_to_stream(ctx, stream, fault)


def _media_conns(stream: RtmsStream, media: str) -> list[Conn]:
    conns: list[Conn] = []
    for key, conn in stream.media.items():
        if (media == "all" or key == media) and conn not in conns:
            conns.append(conn)
    return conns


async def _apply_to_stream(ctx: SimContext, stream: RtmsStream, fault: Fault) -> None:
    kind = fault.kind
    if kind == FaultKind.DROP_SIGNALING:
        if stream.signaling is not None:
            stream.signaling.close_cause = "fault:drop_signaling"
            await stream.signaling.close(abort=True)
    elif kind == FaultKind.DROP_MEDIA:
        for conn in _media_conns(stream, fault.media):
            conn.close_cause = "fault:drop_media"
            await conn.close(abort=True)
    elif kind == FaultKind.FAILOVER:
        if ctx.node_factory is None:
            raise RtmsActionError("failover needs a node factory")
        await stream.failover(await ctx.node_factory())
    elif kind == FaultKind.DUPLICATE_FRAMES:
        stream.duplicate_remaining += fault.count
    elif kind == FaultKind.MALFORMED_FRAMES:
        targets: list[Conn] = []
        if fault.socket in ("media", "all"):
            targets.extend(_media_conns(stream, fault.media))
        if fault.socket in ("signaling", "all") and stream.signaling is not None:
            targets.append(stream.signaling)
        for conn in targets:
            for _ in range(fault.count):
                try:
                    await conn.send_raw(next(_malformed), "malformed")
                except ConnectionClosed:
                    break
    elif kind == FaultKind.DELAY_FRAMES:
        stream.delay_until = ctx.clock.monotonic() + fault.duration
        stream.pulse()
    elif kind in (FaultKind.STOP_KEEPALIVE, FaultKind.RESUME_KEEPALIVE):
        enabled = kind == FaultKind.RESUME_KEEPALIVE
        for socket in ("signaling", "media"):
            if fault.socket in (socket, "all"):
                stream.keepalive_enabled[socket] = enabled
        if enabled:
            for conn in stream.connections():
                conn.ka_outstanding = 0
                conn.ka_pending.clear()
    elif kind == FaultKind.PAUSE:
        if stream.state != StreamState.PAUSED:
            await stream.pause()
    elif kind == FaultKind.RESUME and stream.state == StreamState.PAUSED:
        await stream.resume()
