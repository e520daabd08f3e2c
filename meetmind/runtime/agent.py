"""The agent at work: wake words on the live transcript, a responder, and the reply bridge.

It listens to what ingest stored. Each participant turn goes through the session's wake-word
detector (pure, per session); a detection is recorded (``wake_word.detected``), answered by the
responder with the recent transcript as context, delivered through the bridge, and recorded as
``agent.reply`` plus an ``agent`` turn in the transcript. Work for one session runs in order on
its own task, so a slow responder never holds up ingest or other sessions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from meetmind.agent.bridge import BridgeMessage, DeliveryResult, ReplyBridge, ReplyMode
from meetmind.agent.responder import AgentReply, AgentRequest, ContextTurn, Responder
from meetmind.agent.wakeword import Turn, WakeWordConfig, WakeWordDetection, WakeWordDetector
from meetmind.clock import Clock
from meetmind.domain.models import NewTranscriptTurn, TranscriptTurn, TurnRole
from meetmind.runtime.bus import EventBus
from meetmind.runtime.ingest import Persisted
from meetmind.store.db import Database
from meetmind.store.repo import EventRepo, SessionRepo, TranscriptRepo

__all__ = ["AgentRuntime", "ReplyOutcome"]

log = logging.getLogger(__name__)

CONTEXT_TURNS = 60


@dataclass(frozen=True)
class ReplyOutcome:
    """What the agent said and what the bridge did with it."""

    text: str
    delivery: DeliveryResult | None
    event_id: int | None
    turn_id: int | None


@dataclass
class _SessionAgent:
    detector: WakeWordDetector
    agent_name: str
    meeting_id: str
    queue: asyncio.Queue[tuple[WakeWordDetection, dict[str, float]] | None] = field(
        default_factory=asyncio.Queue
    )
    worker: asyncio.Task[None] | None = None
    last_turn_end_ms: int = 0
    expiry: asyncio.TimerHandle | None = None


class AgentRuntime:
    """Wake-word detection, responses and replies for every session of this process."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        bus: EventBus,
        responder: Responder,
        bridge: ReplyBridge | None,
        *,
        reply_mode: ReplyMode = "both",
    ) -> None:
        self._database = database
        self._clock = clock
        self._bus = bus
        self.responder = responder
        self.bridge = bridge
        self._mode = reply_mode
        self._sessions: dict[str, _SessionAgent] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._busy = 0
        self.detections = 0
        self.replies = 0

    # -- ingest listener -------------------------------------------------------------------------

    async def on_persisted(self, persisted: Sequence[Persisted]) -> None:
        """Feed new participant turns to their session's detector (called by ingest)."""
        arrived = time.perf_counter()
        for record in persisted:
            if record.type != "transcript.turn" or record.payload.get("role") != "participant":
                continue
            agent = await self._agent(record.tenant_id, record.session_id)
            if agent is None:
                continue
            payload = record.payload
            if payload.get("speaker_name") == agent.agent_name:
                continue  # the meeting transcribing the agent's own speech: never a request
            turn = Turn(
                turn_id=str(payload["turn_id"]),
                speaker_id=str(payload.get("speaker_id") or payload.get("speaker_name") or "?"),
                text=str(payload["text"]),
                start_ms=int(payload["start_ms"]),
                end_ms=int(payload["end_ms"]),
            )
            agent.last_turn_end_ms = max(agent.last_turn_end_ms, turn.end_ms)
            detections = agent.detector.flush(turn.start_ms) + agent.detector.process(turn)
            detected = time.perf_counter()
            for detection in detections:
                self._enqueue(
                    record.tenant_id,
                    record.session_id,
                    agent,
                    detection,
                    {"arrived": arrived, "detected": detected},
                )
            self._arm_expiry(record.tenant_id, record.session_id, agent)

    def _arm_expiry(self, tenant_id: str, session_id: str, agent: _SessionAgent) -> None:
        """A wake word said without a request is answered when its window closes."""
        if agent.expiry is not None:
            agent.expiry.cancel()
            agent.expiry = None
        deadline = agent.detector.next_deadline_ms()
        if deadline is None:
            return
        wait_s = max(0.0, (deadline - agent.last_turn_end_ms) / 1000)

        def expire() -> None:
            agent.expiry = None
            now = time.perf_counter()
            for detection in agent.detector.flush(deadline):
                self._enqueue(
                    tenant_id, session_id, agent, detection, {"arrived": now, "detected": now}
                )

        agent.expiry = asyncio.get_running_loop().call_later(wait_s, expire)

    def _enqueue(
        self,
        tenant_id: str,
        session_id: str,
        agent: _SessionAgent,
        detection: WakeWordDetection,
        marks: dict[str, float],
    ) -> None:
        self.detections += 1
        self._busy += 1
        self._idle.clear()
        agent.queue.put_nowait((detection, marks))
        if agent.worker is None or agent.worker.done():
            agent.worker = asyncio.create_task(
                self._work(tenant_id, session_id, agent), name=f"agent:{session_id}"
            )

    async def _agent(self, tenant_id: str, session_id: str) -> _SessionAgent | None:
        agent = self._sessions.get(session_id)
        if agent is not None:
            return agent
        async with self._database.transaction() as db:
            try:
                row = await SessionRepo(db, tenant_id).row(session_id)
            except LookupError:
                return None
        words = tuple(row.wake_words)
        detector = WakeWordDetector(WakeWordConfig(wake_words=words) if words else None)
        agent = _SessionAgent(detector, row.agent_name, row.meeting_id)
        self._sessions[session_id] = agent
        return agent

    async def drained(self) -> None:
        """Wait until every detection so far has been answered."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop the per-session workers."""
        for agent in self._sessions.values():
            if agent.expiry is not None:
                agent.expiry.cancel()
            if agent.worker is not None:
                agent.worker.cancel()
        workers = [a.worker for a in self._sessions.values() if a.worker is not None]
        await asyncio.gather(*workers, return_exceptions=True)
        self._sessions.clear()

    # -- answering -------------------------------------------------------------------------------

    async def _work(self, tenant_id: str, session_id: str, agent: _SessionAgent) -> None:
        while True:
            item = await agent.queue.get()
            if item is None:
                return
            detection, marks = item
            try:
                await self._answer(tenant_id, session_id, agent, detection, marks)
            except Exception:
                log.exception("the agent failed to answer in session %s", session_id)
            finally:
                self._busy -= 1
                if self._busy == 0:
                    self._idle.set()

    async def _answer(
        self,
        tenant_id: str,
        session_id: str,
        agent: _SessionAgent,
        detection: WakeWordDetection,
        marks: dict[str, float],
    ) -> None:
        async with self._database.transaction() as db:
            recent = await TranscriptRepo(db, tenant_id).recent(session_id, CONTEXT_TURNS)
        speaker_name = _speaker_name(recent, detection)
        detected_payload = {
            "speaker_id": detection.speaker_id,
            "speaker_name": speaker_name,
            "wake_word": detection.wake_word,
            "matched_text": detection.matched_text,
            "request": detection.request,
            "request_source": detection.request_source.value,
            "confidence": round(detection.confidence, 3),
            "wake_turn_id": detection.wake_turn_id,
            "timings": {"detect_ms": _ms(marks["arrived"], marks["detected"])},
        }
        await self._record(
            tenant_id,
            session_id,
            "wake_word.detected",
            detected_payload,
            dedupe=f"wake:{detection.wake_turn_id}",
        )
        context = tuple(
            ContextTurn(
                speaker_name=t.speaker_name or "Someone",
                text=t.text,
                start_ms=t.start_ms,
                end_ms=t.end_ms,
                role=t.role.value,
                speaker_id=t.speaker_id,
            )
            for t in recent
        )
        request = AgentRequest(
            text=detection.request,
            speaker_id=detection.speaker_id,
            speaker_name=speaker_name,
            session_id=session_id,
            agent_name=agent.agent_name,
            transcript=context,
        )
        reply: AgentReply = await self.responder.respond(request)
        await self.deliver(
            tenant_id,
            session_id,
            reply.text,
            request=detection.request,
            responder=reply.responder,
            after_ms=detection.detected_at_ms,
            reply_key=f"reply:{detection.wake_turn_id}",
            marks={**marks, "responded": time.perf_counter()},
        )
        self.replies += 1

    async def deliver(
        self,
        tenant_id: str,
        session_id: str,
        text: str,
        *,
        request: str | None = None,
        responder: str | None = None,
        after_ms: int | None = None,
        reply_key: str | None = None,
        mode: ReplyMode | None = None,
        marks: dict[str, float] | None = None,
    ) -> ReplyOutcome:
        """Say ``text`` in the session's meeting through the bridge, and record it.

        ``marks`` are perf-counter times (``arrived``, ``detected``, ``responded``) of a reply
        to a wake word; the recorded timings are derived from them.
        """
        agent = await self._agent(tenant_id, session_id)
        if agent is None:
            raise LookupError(session_id)
        start = time.perf_counter()
        delivery = None
        if self.bridge is not None:
            delivery = await self.bridge.deliver(
                BridgeMessage(
                    session_id=session_id,
                    meeting_id=agent.meeting_id,
                    text=text,
                    agent_name=agent.agent_name,
                    mode=mode or self._mode,
                    reply_id=reply_key,
                )
            )
        sent = time.perf_counter()
        at_ms = (after_ms if after_ms is not None else agent.last_turn_end_ms) or int(
            self._clock.now().timestamp() * 1000
        )
        key = reply_key or f"reply:{session_id}:{time.time_ns()}"
        now = self._clock.now()
        async with self._database.transaction() as db:
            events = EventRepo(db, tenant_id)
            await events.lock(session_id)
            inserted = await TranscriptRepo(db, tenant_id).append(
                session_id,
                [
                    NewTranscriptTurn(
                        idempotency_key=f"agent:{key}",
                        text=text,
                        start_ms=at_ms + 1,
                        end_ms=at_ms + 1,
                        speaker_id="agent",
                        speaker_name=agent.agent_name,
                        role=TurnRole.AGENT,
                    )
                ],
                now,
            )
            turn_id = inserted.get(f"agent:{key}")
            if turn_id is not None:
                await events.add(
                    session_id,
                    "transcript.turn",
                    {
                        "turn_id": turn_id,
                        "role": TurnRole.AGENT.value,
                        "speaker_id": "agent",
                        "speaker_name": agent.agent_name,
                        "text": text,
                        "start_ms": at_ms + 1,
                        "end_ms": at_ms + 1,
                        "language": None,
                    },
                    now,
                    dedupe_key=f"turn:agent:{key}",
                )
            event_id = await events.add(
                session_id,
                "agent.reply",
                {
                    "text": text,
                    "request": request,
                    "responder": responder,
                    "delivered": delivery.delivered if delivery else False,
                    "bridge": delivery.bridge if delivery else None,
                    "channels": list(delivery.channels) if delivery else [],
                    "detail": delivery.detail if delivery else "no reply bridge configured",
                    "timings": _timings(marks or {}, start, sent),
                },
                now,
                dedupe_key=key,
            )
        self._bus.notify(session_id)
        return ReplyOutcome(text, delivery, event_id, turn_id)

    async def _record(
        self, tenant_id: str, session_id: str, type_: str, payload: dict[str, Any], dedupe: str
    ) -> None:
        async with self._database.transaction() as db:
            await EventRepo(db, tenant_id).add(
                session_id, type_, payload, self._clock.now(), dedupe_key=dedupe
            )
        self._bus.notify(session_id)


def _speaker_name(turns: Sequence[TranscriptTurn], detection: WakeWordDetection) -> str:
    """The name of whoever spoke the wake turn (its id), else the speaker id."""
    for turn in reversed(turns):
        if str(turn.id) == detection.wake_turn_id and turn.speaker_name:
            return turn.speaker_name
    return detection.speaker_id


def _timings(marks: dict[str, float], start: float, sent: float) -> dict[str, float]:
    """Turn arrival -> detection -> response -> delivery, in milliseconds."""
    timings = {"deliver_ms": _ms(start, sent)}
    if {"arrived", "detected", "responded"} <= marks.keys():
        timings["detect_ms"] = _ms(marks["arrived"], marks["detected"])
        timings["respond_ms"] = _ms(marks["detected"], marks["responded"])
        timings["total_ms"] = _ms(marks["arrived"], sent)
    else:
        timings["total_ms"] = timings["deliver_ms"]
    return timings


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 3)
