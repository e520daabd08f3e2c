"""From stream events to durable records: normalise, persist exactly once, then announce.

One writer task drains a queue with group commit: it writes whatever has arrived in one
transaction, so a quiet meeting's turn is stored at once and a busy process still writes
thousands of turns per second in few transactions. Every record has a key derived from the
stream (``zoom:<stream>:<speaker>:<start ms>`` for a turn), so a replayed, duplicated or
reconnect-burst frame is stored once. Listeners (the live bus, the agent) hear only about
records that were new.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from meetmind.clock import Clock, utc_from_ms
from meetmind.domain.errors import IllegalTransitionError
from meetmind.domain.events import (
    ActiveSpeakerChanged,
    ChatReceived,
    ParticipantsChanged,
    StreamEvent,
    StreamPhase,
    StreamStateChanged,
    TranscriptReceived,
)
from meetmind.domain.models import FeedEvent, NewTranscriptTurn
from meetmind.domain.sessions import SessionStatus, check_transition
from meetmind.store.db import Database
from meetmind.store.fencing import current_fences
from meetmind.store.repo import EventRepo, SessionRepo, TranscriptRepo
from meetmind.store.schema import ParticipantRow
from meetmind.zoom.events import FAILURE_STOP_REASONS, stop_reason_name

__all__ = [
    "FencedListener",
    "IngestListener",
    "Ingestor",
    "Persisted",
    "StreamContext",
    "turn_key",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamContext:
    """Whose stream an event came from."""

    tenant_id: str
    session_id: str
    stream_id: str
    fence: int | None = None
    """The writer's fencing token (scale-out workers); None in one process, which owns all."""


@dataclass(frozen=True)
class Persisted:
    """A record that was new: its event id in the session's feed (``seq``), type, payload."""

    tenant_id: str
    session_id: str
    event_id: int
    type: str
    payload: dict[str, Any]
    created_at: datetime

    def feed_event(self) -> FeedEvent:
        """The record as the session's followers see it."""
        return FeedEvent(self.event_id, self.type, self.session_id, self.created_at, self.payload)


IngestListener = Callable[[Sequence[Persisted]], Awaitable[None]]
FencedListener = Callable[[StreamContext], None]


def turn_key(stream_id: str, speaker_id: str | None, start_ms: int) -> str:
    """The idempotency key of a transcript turn: one utterance per speaker per start time."""
    return f"zoom:{stream_id}:{speaker_id or '-'}:{start_ms}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class IngestStats:
    """Counters for metrics and tests."""

    received: int = 0
    turns_stored: int = 0
    duplicates: int = 0
    batches: int = 0
    fenced: int = 0
    """Events refused because their writer no longer owns the stream."""


@dataclass
class _Batch:
    turns: dict[tuple[str, str], list[tuple[NewTranscriptTurn, StreamContext]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    others: list[tuple[StreamContext, StreamEvent]] = field(default_factory=list)


class Ingestor:
    """Persists stream events; one instance per MeetMind process."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        batch_size: int = 500,
        listeners: Sequence[IngestListener] = (),
        on_fenced: FencedListener | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._batch_size = batch_size
        self.listeners: list[IngestListener] = list(listeners)
        self.on_fenced = on_fenced
        self._queue: asyncio.Queue[tuple[StreamContext, StreamEvent] | asyncio.Future[None] | None]
        self._queue = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.stats = IngestStats()

    def start(self) -> None:
        """Start the writer."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ingest-writer")

    async def stop(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None

    def submit(self, context: StreamContext, event: StreamEvent) -> None:
        """Queue an event for writing (never blocks the stream)."""
        self.stats.received += 1
        self._idle.clear()
        self._queue.put_nowait((context, event))

    async def drained(self) -> None:
        """Wait until everything submitted so far is written (the queue may never be empty)."""
        await self._idle.wait()

    async def written(self) -> None:
        """Wait until what was submitted before this call is written, even while more arrives.

        A worker calls it before giving a stream's lease back: its last events must be in the
        database before another owner's token fences this one out.
        """
        if self._task is None or self._task.done():
            return
        barrier: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(barrier)
        await barrier

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            items = [first]
            while len(items) < self._batch_size and not self._queue.empty():
                items.append(self._queue.get_nowait())
            stopping = None in items
            work = [item for item in items if isinstance(item, tuple)]
            if work:
                await self._write_with_retry(work)
            for item in items:
                if isinstance(item, asyncio.Future) and not item.done():
                    item.set_result(None)
            if self._queue.empty():
                self._idle.set()
            if stopping:
                return

    async def _write_with_retry(self, work: list[tuple[StreamContext, StreamEvent]]) -> None:
        delay = 0.05
        for attempt in range(1, 8):
            try:
                persisted = await self._write(work)
            except Exception:
                if attempt == 7:
                    log.exception("dropping %d events after repeated write failures", len(work))
                    return
                log.warning("writing %d events failed; retry %d", len(work), attempt)
                await self._clock.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.stats.batches += 1
            if persisted:
                await self._announce(persisted)
            return

    async def _announce(self, persisted: list[Persisted]) -> None:
        for listener in self.listeners:
            try:
                await listener(persisted)
            except Exception:
                log.exception("an ingest listener failed")

    async def _write(self, work: list[tuple[StreamContext, StreamEvent]]) -> list[Persisted]:
        now = self._clock.now()
        persisted: list[Persisted] = []
        fenced: dict[StreamContext, None] = {}
        async with self._database.transaction() as db:
            repos: dict[str, EventRepo] = {}

            def events_of(tenant_id: str) -> EventRepo:
                if tenant_id not in repos:
                    repos[tenant_id] = EventRepo(db, tenant_id)
                return repos[tenant_id]

            # Lock every session of the batch first, in one order (see EventRepo.lock).
            sessions = {(c.tenant_id, c.session_id) for c, _ in work}
            for tenant_id, session_id in sorted(sessions):
                await events_of(tenant_id).lock(session_id)
            fences = await current_fences(
                db, {c.session_id for c, _ in work if c.fence is not None}
            )
            allowed: list[tuple[StreamContext, StreamEvent]] = []
            for context, event in work:
                if context.fence is not None and fences.get(context.session_id) != context.fence:
                    fenced[context] = None
                    self.stats.fenced += 1
                    continue
                allowed.append((context, event))
            await self._write_allowed(db, events_of, allowed, now, persisted)
        for context in fenced:
            log.warning(
                "session %s: refused writes with fence %s (the stream has a newer owner)",
                context.session_id,
                context.fence,
            )
            if self.on_fenced is not None:
                self.on_fenced(context)
        return persisted

    async def _write_allowed(
        self,
        db: Any,
        events_of: Callable[[str], EventRepo],
        work: list[tuple[StreamContext, StreamEvent]],
        now: datetime,
        persisted: list[Persisted],
    ) -> None:
        batch = _Batch()
        for context, event in work:
            if isinstance(event, TranscriptReceived):
                turn = NewTranscriptTurn(
                    idempotency_key=turn_key(context.stream_id, event.speaker_id, event.start_ms),
                    text=event.text,
                    start_ms=event.start_ms,
                    end_ms=event.end_ms,
                    speaker_id=event.speaker_id,
                    speaker_name=event.speaker_name,
                    language=event.language,
                )
                batch.turns[(context.tenant_id, context.session_id)].append((turn, context))
            else:
                batch.others.append((context, event))
        # Each session's new records, turns first, go into its feed in one insert.
        feed: dict[tuple[str, str], list[tuple[str, dict[str, Any], str | None]]] = {}
        for (tenant_id, session_id), entries in sorted(batch.turns.items()):
            inserted = await TranscriptRepo(db, tenant_id).append(
                session_id, [turn for turn, _ in entries], now
            )
            self.stats.turns_stored += len(inserted)
            self.stats.duplicates += len(entries) - len(inserted)
            fresh = feed.setdefault((tenant_id, session_id), [])
            for turn, _ in entries:
                turn_id = inserted.pop(turn.idempotency_key, None)
                if turn_id is None:
                    continue  # stored before (or twice in this batch)
                payload = {
                    "turn_id": turn_id,
                    "role": turn.role.value,
                    "speaker_id": turn.speaker_id,
                    "speaker_name": turn.speaker_name,
                    "text": turn.text,
                    "start_ms": turn.start_ms,
                    "end_ms": turn.end_ms,
                    "language": turn.language,
                }
                fresh.append(("transcript.turn", payload, f"turn:{turn.idempotency_key}"))
        for context, event in batch.others:
            entry = await self._apply_other(db, context, event, now)
            if entry is not None:
                feed.setdefault((context.tenant_id, context.session_id), []).append(entry)
        for (tenant_id, session_id), news in feed.items():
            seqs = await events_of(tenant_id).add_many(session_id, news, now)
            persisted.extend(
                Persisted(tenant_id, session_id, seq, type_, payload, now)
                for seq, (type_, payload, _) in zip(seqs, news, strict=True)
                if seq is not None
            )

    async def _apply_other(
        self, db: Any, context: StreamContext, event: StreamEvent, now: datetime
    ) -> tuple[str, dict[str, Any], str | None] | None:
        """Apply a non-transcript event (participants, session status) and return its feed
        entry ``(type, payload, dedupe key)``; None for audio, which never reaches the database."""
        type_: str
        payload: dict[str, Any]
        dedupe: str | None
        if isinstance(event, ChatReceived):
            type_ = "chat.message"
            payload = {
                "sender_id": event.sender_id,
                "sender_name": event.sender_name,
                "text": event.text,
                "timestamp_ms": event.timestamp_ms,
            }
            dedupe = f"chat:{context.stream_id}:{event.sender_id}:{event.timestamp_ms}:" + _digest(
                event.text
            )
        elif isinstance(event, ParticipantsChanged):
            type_ = "participant.joined" if event.joined else "participant.left"
            people = [{"user_id": uid, "user_name": name} for uid, name in event.participants]
            payload = {"participants": people, "timestamp_ms": event.timestamp_ms}
            dedupe = f"{type_}:{context.stream_id}:{event.timestamp_ms}:" + _digest(
                ",".join(uid for uid, _ in event.participants)
            )
            await self._record_participants(db, context, event, now)
        elif isinstance(event, ActiveSpeakerChanged):
            type_ = "speaker.active"
            payload = {
                "speaker_id": event.speaker_id,
                "speaker_name": event.speaker_name,
                "timestamp_ms": event.timestamp_ms,
            }
            dedupe = f"speaker:{context.stream_id}:{event.speaker_id}:{event.timestamp_ms}"
        elif isinstance(event, StreamStateChanged):
            status = await self._follow_stream(db, context, event, now)
            type_ = "stream.state"
            payload = {
                "phase": event.phase.value,
                "reason": event.reason,
                "detail": event.detail,
                "status": status,
            }
            dedupe = None
        else:
            return None
        return type_, payload, dedupe

    async def _record_participants(
        self, db: Any, context: StreamContext, event: ParticipantsChanged, now: datetime
    ) -> None:
        when = utc_from_ms(event.timestamp_ms) if event.timestamp_ms else now
        for user_id, name in event.participants:
            row = await db.scalar(
                select(ParticipantRow).where(
                    ParticipantRow.tenant_id == context.tenant_id,
                    ParticipantRow.session_id == context.session_id,
                    ParticipantRow.platform_user_id == user_id,
                )
            )
            if row is None:
                row = ParticipantRow(
                    tenant_id=context.tenant_id,
                    session_id=context.session_id,
                    platform_user_id=user_id,
                )
                db.add(row)
            if name:
                row.name = name
            if event.joined:
                row.joined_at = row.joined_at or when
                row.left_at = None
            else:
                row.left_at = when
            await db.flush()

    async def _follow_stream(
        self, db: Any, context: StreamContext, event: StreamStateChanged, now: datetime
    ) -> str:
        """Move the session's status with the stream; returns the status after."""
        row = await SessionRepo(db, context.tenant_id).row(context.session_id, for_update=True)
        current = SessionStatus(row.status)
        phase = event.phase
        target: SessionStatus | None = None
        waiting = {SessionStatus.CREATED, SessionStatus.RTMS_START_REQUESTED, SessionStatus.FAILED}
        if (
            phase in (StreamPhase.CONNECTED, StreamPhase.RECONNECTED)
            and current in waiting
            or phase is StreamPhase.RESUMED
        ):
            target = SessionStatus.LISTENING
        elif phase is StreamPhase.PAUSED:
            target = SessionStatus.PAUSED
        elif phase is StreamPhase.STOPPED:
            failed = event.reason in FAILURE_STOP_REASONS
            target = SessionStatus.FAILED if failed else SessionStatus.ENDED
            if failed:
                row.failure_reason = f"RTMS stopped: {stop_reason_name(event.reason)}"
        elif phase is StreamPhase.FAILED:
            target = SessionStatus.FAILED
            row.failure_reason = event.detail or stop_reason_name(event.reason)
        if target is None or target is current:
            return current.value
        try:
            check_transition(current, target)
        except IllegalTransitionError:
            return current.value
        row.status = target.value
        row.updated_at = now
        if target is SessionStatus.ENDED:
            row.ended_at = now
        return target.value
