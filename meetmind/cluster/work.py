"""Stream work: the messages API nodes put on the Redis Stream for the workers (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from meetmind.zoom.events import RtmsStreamEvent, RtmsStreamEventKind

__all__ = ["BadWorkError", "StreamWork", "WorkOp"]


class WorkOp(StrEnum):
    """What a worker should do with a stream."""

    STARTED = "started"
    """``rtms_started``: join (or, with ``failover``, move the owner's client to new servers)."""
    INTERRUPTED = "interrupted"
    """``rtms_interrupted``: the owner redoes signaling and media; an orphan is taken over."""
    STOPPED = "stopped"
    """``rtms_stopped``: the owner closes the stream."""
    HANDOFF = "handoff"
    """A draining worker let the stream go: some worker should take it now."""


class BadWorkError(ValueError):
    """A work entry that cannot be understood (skipped and acknowledged, never retried)."""


@dataclass(frozen=True)
class StreamWork:
    """One unit of stream work, as stored in a Redis Stream entry (flat string fields)."""

    op: WorkOp
    tenant_id: str
    session_id: str
    rtms_stream_id: str = ""
    meeting_uuid: str = ""
    server_urls: str = ""
    stop_reason: int | None = None
    failover: bool = False

    @classmethod
    def of_event(
        cls, tenant_id: str, session_id: str, event: RtmsStreamEvent, *, failover: bool = False
    ) -> StreamWork:
        """The work a routed Zoom stream webhook asks for."""
        op = {
            RtmsStreamEventKind.STARTED: WorkOp.STARTED,
            RtmsStreamEventKind.STOPPED: WorkOp.STOPPED,
            RtmsStreamEventKind.INTERRUPTED: WorkOp.INTERRUPTED,
        }[event.kind]
        return cls(
            op=op,
            tenant_id=tenant_id,
            session_id=session_id,
            rtms_stream_id=event.rtms_stream_id,
            meeting_uuid=event.meeting_uuid,
            server_urls=event.server_urls or "",
            stop_reason=event.stop_reason,
            failover=failover,
        )

    def event(self) -> RtmsStreamEvent:
        """The Zoom event this work came from (for the stream supervisor)."""
        kind = {
            WorkOp.STARTED: RtmsStreamEventKind.STARTED,
            WorkOp.STOPPED: RtmsStreamEventKind.STOPPED,
        }.get(self.op, RtmsStreamEventKind.INTERRUPTED)
        return RtmsStreamEvent(
            kind=kind,
            meeting_uuid=self.meeting_uuid,
            rtms_stream_id=self.rtms_stream_id,
            server_urls=self.server_urls or None,
            meeting_id=None,
            account_id=None,
            operator_id=None,
            stop_reason=self.stop_reason,
            event_ts=None,
        )

    def to_fields(self) -> dict[str, str]:
        """Flat string fields for XADD."""
        fields = {
            "op": self.op.value,
            "tenant_id": self.tenant_id,
            "session_id": self.session_id,
            "rtms_stream_id": self.rtms_stream_id,
            "meeting_uuid": self.meeting_uuid,
            "server_urls": self.server_urls,
            "failover": "1" if self.failover else "0",
        }
        if self.stop_reason is not None:
            fields["stop_reason"] = str(self.stop_reason)
        return fields

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes] | dict[str, str]) -> StreamWork:
        """Parse an entry read back from Redis.

        Raises:
            BadWorkError: A field is missing or has a bad value.
        """
        text = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        try:
            op = WorkOp(text["op"])
            tenant_id = text["tenant_id"]
            session_id = text["session_id"]
        except (KeyError, ValueError) as exc:
            raise BadWorkError(f"bad stream work entry: {exc}") from None
        if not tenant_id or not session_id:
            raise BadWorkError("stream work without tenant_id or session_id")
        reason = text.get("stop_reason")
        try:
            stop_reason = int(reason) if reason else None
        except ValueError:
            raise BadWorkError(f"bad stop_reason {reason!r}") from None
        return cls(
            op=op,
            tenant_id=tenant_id,
            session_id=session_id,
            rtms_stream_id=text.get("rtms_stream_id", ""),
            meeting_uuid=text.get("meeting_uuid", ""),
            server_urls=text.get("server_urls", ""),
            stop_reason=stop_reason,
            failover=text.get("failover") == "1",
        )
