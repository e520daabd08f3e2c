"""A simulated meeting: runs its script on the simulated clock and feeds its RTMS streams."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from meetmind.sim.audio import AudioRenderer
from meetmind.sim.context import SimContext
from meetmind.sim.faults import Fault
from meetmind.sim.scripts import Script, ScriptParticipant
from meetmind.zoom.rtms.enums import EventType, StopReason
from meetmind.zoom.rtms.messages import (
    MediaDataChat,
    MediaDataTranscript,
    Participant,
    RtmsEvent,
)

if TYPE_CHECKING:
    from meetmind.sim.stream import RtmsStream

log = logging.getLogger(__name__)

__all__ = ["AGENT_USER_ID", "Meeting", "MeetingStatus"]

AGENT_USER_ID = 16800000
"""RTMS user id the simulator gives to the agent's injected speech and chat."""


class MeetingStatus(StrEnum):
    """Lifecycle of a simulated meeting."""

    CREATED = "created"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class _Step:
    at: float
    order: int
    kind: str
    ref: Any


class Meeting:
    """A meeting created from a script.

    Args:
        ctx: The simulator context.
        script: What happens in the meeting.
        meeting_id: Numeric Zoom meeting id (random 11 digits if omitted).
        host_user_id: Zoom user id of the host (the OAuth user by default).
    """

    def __init__(
        self,
        ctx: SimContext,
        script: Script,
        *,
        meeting_id: int | None = None,
        host_user_id: str,
        account_id: str,
    ) -> None:
        self.ctx = ctx
        self.script = script
        self.id = meeting_id or 80_000_000_000 + secrets.randbelow(9_999_999_999)
        self.uuid = base64.b64encode(secrets.token_bytes(16)).decode()
        self.host_user_id = host_user_id
        self.account_id = account_id
        self.status = MeetingStatus.CREATED
        self.started_t = 0.0
        self._script_began = asyncio.Event()
        self.present: dict[str, ScriptParticipant] = {}
        self.active_speaker: ScriptParticipant | None = None
        self.streams: list[RtmsStream] = []
        self.audio = AudioRenderer(script, seed=ctx.config.seed or 0)
        self.agent_posts: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ views

    def present_participants(self) -> list[ScriptParticipant]:
        """Participants currently in the meeting."""
        return list(self.present.values())

    def live_streams(self) -> list[RtmsStream]:
        """Streams that have not terminated."""
        return [s for s in self.streams if not s.terminated]

    def script_time(self) -> float:
        """Seconds since the meeting's script started (simulated; 0 while it waits)."""
        if not self._script_began.is_set():
            return 0.0
        return self.ctx.clock.monotonic() - self.started_t

    async def at_script_time(self, t: float) -> None:
        """Wait until script time ``t`` (after the script has started)."""
        await self._script_began.wait()
        await self.ctx.clock.sleep_until(self.started_t + t)

    def to_json(self) -> dict[str, Any]:
        """Admin-API view."""
        return {
            "id": self.id,
            "uuid": self.uuid,
            "topic": self.script.title,
            "script": self.script.name,
            "status": self.status.value,
            "host_id": self.host_user_id,
            "duration": self.script.duration,
            "participants": [
                {"id": p.key, "name": p.name, "user_id": p.user_id} for p in self.present.values()
            ],
            "script_time": self.script_time() if self.status == MeetingStatus.STARTED else None,
            "streams": [s.to_json() for s in self.streams],
        }

    def record(self, kind: str, **data: Any) -> None:
        """Record a meeting-level event."""
        self.ctx.recorder.add("meeting", "event", kind, meeting_id=self.id, **data)

    # ------------------------------------------------------------------ lifecycle

    def start(self, *, wait_for_rtms: bool = False) -> None:
        """Make the meeting live and run its script in the background.

        Args:
            wait_for_rtms: Hold the script (joins, speech, chat, faults) until RTMS starts
                for the meeting, so an app that starts RTMS a moment after the meeting (a test on
                a loaded machine, a demo) still sees the whole script. Zoom's meetings do not
                wait; this is a convenience of the simulator.
        """
        if self.status != MeetingStatus.CREATED:
            return
        self.status = MeetingStatus.STARTED
        self.started_t = self.ctx.clock.monotonic()
        self.record(
            "meeting.started", uuid=self.uuid, topic=self.script.title, wait_for_rtms=wait_for_rtms
        )
        if not wait_for_rtms:
            self._script_began.set()
        self.ctx.tasks.spawn(f"meeting:{self.id}", self._run())

    def begin_script(self) -> None:
        """Start a held script now (RTMS started); no effect if it is running."""
        if self._script_began.is_set() or self.status != MeetingStatus.STARTED:
            return
        self.started_t = self.ctx.clock.monotonic()
        self._script_began.set()
        self.record("script.started")

    def _timeline(self) -> list[_Step]:
        steps: list[_Step] = []
        for p in self.script.participants:
            steps.append(_Step(p.join, 0, "join", p))
            if p.leave is not None:
                steps.append(_Step(p.leave, 1, "leave", p))
        for u in self.script.utterances:
            steps.append(_Step(u.at, 2, "speak", u))
            steps.append(_Step(u.end, 3, "transcript", u))
        for c in self.script.chat:
            steps.append(_Step(c.at, 4, "chat", c))
        for f in self.script.faults:
            steps.append(_Step(f.at or 0.0, 5, "fault", f))
        if self.script.duration is not None:
            steps.append(_Step(self.script.duration, 9, "end", None))
        return sorted(steps, key=lambda s: (s.at, s.order))

    async def _run(self) -> None:
        for step in self._timeline():
            await self.at_script_time(step.at)
            if self.status == MeetingStatus.ENDED:
                return
            try:
                await self._perform(step)
            except Exception as exc:  # one broken step must not leave the meeting running forever
                log.exception("meeting %s: script step %s failed", self.id, step.kind)
                self.record("script_step_failed", step=step.kind, error=repr(exc))

    async def _perform(self, step: _Step) -> None:
        from meetmind.sim.stream_ops import apply_fault

        if step.kind == "join":
            await self._join(step.ref)
        elif step.kind == "leave":
            await self._leave(step.ref)
        elif step.kind == "speak":
            await self._speak(self.script.participant(step.ref.speaker))
        elif step.kind == "transcript":
            u = step.ref
            self.publish_transcript(self.script.participant(u.speaker), u.text, u.at, u.end)
        elif step.kind == "chat":
            c = step.ref
            p = self.script.participant(c.sender)
            self.publish_chat(p.user_id, p.name, c.text)
        elif step.kind == "fault":
            fault: Fault = step.ref
            await apply_fault(self.ctx, self, fault)
        elif step.kind == "end":
            await self.end()

    async def _broadcast(self, event: RtmsEvent) -> None:
        for stream in self.live_streams():
            await stream.send_event(event)

    async def _join(self, p: ScriptParticipant) -> None:
        self.present[p.key] = p
        self.record("participant.joined", user_id=p.user_id, name=p.name)
        await self._broadcast(
            RtmsEvent(
                int(EventType.PARTICIPANT_JOIN),
                self.ctx.clock.time_ms(),
                participants=(Participant(p.user_id, p.name),),
            )
        )

    async def _leave(self, p: ScriptParticipant) -> None:
        self.present.pop(p.key, None)
        if self.active_speaker is p:
            self.active_speaker = None
        self.record("participant.left", user_id=p.user_id, name=p.name)
        await self._broadcast(
            RtmsEvent(
                int(EventType.PARTICIPANT_LEAVE),
                self.ctx.clock.time_ms(),
                participants=(Participant(p.user_id),),
            )
        )

    async def _speak(self, p: ScriptParticipant) -> None:
        if self.active_speaker is p:
            return
        self.active_speaker = p
        await self._broadcast(
            RtmsEvent(
                int(EventType.ACTIVE_SPEAKER_CHANGE), self.ctx.clock.time_ms(), p.user_id, p.name
            )
        )

    def publish_transcript(
        self,
        speaker: ScriptParticipant | None,
        text: str,
        start: float,
        end: float,
        *,
        user_id: int | None = None,
        user_name: str | None = None,
    ) -> MediaDataTranscript:
        """Publish one utterance (script times ``start``..``end``) to every live stream."""
        start_ms = self.ctx.clock.epoch_ms_at(self.started_t + start)
        end_ms = self.ctx.clock.epoch_ms_at(self.started_t + end)
        msg = MediaDataTranscript(
            data=text,
            timestamp=start_ms,
            user_id=speaker.user_id if speaker is not None else user_id,
            user_name=speaker.name if speaker is not None else user_name,
            start_time=start_ms,
            end_time=end_ms,
            language=self.script.language,
        )
        self.record(
            "utterance",
            user_id=msg.user_id,
            user_name=msg.user_name,
            text=text,
            start_time=start_ms,
            end_time=end_ms,
        )
        for stream in self.live_streams():
            stream.publish("transcript", msg)
        return msg

    def publish_chat(self, user_id: int, user_name: str, text: str) -> MediaDataChat:
        """Publish one chat line to every live stream."""
        msg = MediaDataChat(
            data=text, timestamp=self.ctx.clock.time_ms(), user_id=user_id, user_name=user_name
        )
        self.record("chat", user_id=user_id, user_name=user_name, text=text)
        for stream in self.live_streams():
            stream.publish("chat", msg)
        return msg

    def agent_chat(self, text: str, user_name: str = "MeetMind") -> MediaDataChat:
        """The agent posts a chat message into the meeting (recorded on channel ``agent``)."""
        msg = self.publish_chat(AGENT_USER_ID, user_name, text)
        self._agent_record("chat", text=text, user_name=user_name)
        return msg

    def agent_say(
        self, text: str, user_name: str = "MeetMind", duration: float | None = None
    ) -> MediaDataTranscript:
        """The agent speaks into the meeting; Zoom transcribes it like anyone else's speech."""
        length = duration if duration is not None else max(1.0, len(text.split()) * 0.35)
        now = self.script_time()
        msg = self.publish_transcript(
            None, text, now, now + length, user_id=AGENT_USER_ID, user_name=user_name
        )
        self._agent_record("utterance", text=text, user_name=user_name, duration=length)
        return msg

    def _agent_record(self, kind: str, **data: Any) -> None:
        post = {
            "kind": kind,
            "t": self.ctx.clock.monotonic(),
            "ts": self.ctx.clock.time_ms(),
            **data,
        }
        self.agent_posts.append(post)
        self.ctx.recorder.add("agent", "received", kind, meeting_id=self.id, **data)

    async def end(self) -> None:
        """End the meeting: every live stream terminates with reason 6 (meeting ended)."""
        if self.status == MeetingStatus.ENDED:
            return
        was_live = self.status == MeetingStatus.STARTED
        self.status = MeetingStatus.ENDED
        for stream in self.live_streams():
            await stream.terminate(StopReason.STOP_BC_MEETING_ENDED, participants_leave=True)
        if was_live:
            self.record("meeting.ended")
