"""Repositories. Every query on tenant-owned data is filtered by the repository's tenant."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meetmind.domain.errors import ConflictError, NotFoundError
from meetmind.domain.models import (
    NewTranscriptTurn,
    Session,
    Tenant,
    TranscriptTurn,
    TurnRole,
)
from meetmind.domain.sessions import Platform, SessionStatus
from meetmind.store.schema import (
    ApiKeyRow,
    SessionEventRow,
    SessionRow,
    TenantRow,
    TranscriptTurnRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)

__all__ = [
    "ApiKeyRepo",
    "EventRepo",
    "LiveStream",
    "MeetingRoute",
    "MeetingRouter",
    "SessionRepo",
    "TenantRepo",
    "TranscriptRepo",
    "live_streams",
]


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def to_session(row: SessionRow) -> Session:
    """The domain record for a session row."""
    return Session(
        id=row.id,
        tenant_id=row.tenant_id,
        platform=Platform(row.platform),
        meeting_id=row.meeting_id,
        meeting_url=row.meeting_url,
        agent_name=row.agent_name,
        wake_words=tuple(row.wake_words),
        status=SessionStatus(row.status),
        failure_reason=row.failure_reason,
        meeting_uuid=row.meeting_uuid,
        rtms_stream_id=row.rtms_stream_id,
        record_audio=bool(row.record_audio),
        audio_path=row.audio_path,
        rtms_start_requested_at=row.rtms_start_requested_at,
        rtms_start_requested_by=row.rtms_start_requested_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
    )


def to_turn(row: TranscriptTurnRow) -> TranscriptTurn:
    """The domain record for a transcript row."""
    return TranscriptTurn(
        id=row.id,
        session_id=row.session_id,
        idempotency_key=row.idempotency_key,
        role=TurnRole(row.role),
        speaker_id=row.speaker_id,
        speaker_name=row.speaker_name,
        text=row.text,
        start_ms=row.start_ms,
        end_ms=row.end_ms,
        language=row.language,
        stream_offset_ms=row.stream_offset_ms,
        created_at=row.created_at,
    )


class TenantRepo:
    """Tenants (not tenant-scoped: used by operators' commands)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, tenant_id: str, name: str, now: datetime) -> Tenant:
        """Add a tenant; a taken name is a :class:`ConflictError`."""
        row = TenantRow(id=tenant_id, name=name, created_at=now)
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError:
            raise ConflictError(f"a tenant named {name!r} exists already") from None
        return Tenant(id=row.id, name=row.name, created_at=row.created_at)

    async def by_name(self, name: str) -> Tenant | None:
        """The tenant with this name, if any."""
        row = await self._session.scalar(select(TenantRow).where(TenantRow.name == name))
        return Tenant(id=row.id, name=row.name, created_at=row.created_at) if row else None


class ApiKeyRepo:
    """API keys, looked up by the SHA-256 of the presented secret."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, key_id: str, tenant_id: str, key_hash: str, now: datetime) -> None:
        """Store a new key's hash."""
        self._session.add(
            ApiKeyRow(id=key_id, tenant_id=tenant_id, key_hash=key_hash, created_at=now)
        )
        await self._session.flush()

    async def owner_of(self, key_hash: str) -> tuple[str, str] | None:
        """``(tenant_id, key_id)`` of the active key with this hash."""
        row = (
            await self._session.execute(
                select(ApiKeyRow.tenant_id, ApiKeyRow.id).where(
                    ApiKeyRow.key_hash == key_hash, ApiKeyRow.revoked_at.is_(None)
                )
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def revoke(self, tenant_id: str, key_id: str, now: datetime) -> bool:
        """Revoke one of the tenant's keys; False if it has none with that id."""
        result = await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.tenant_id == tenant_id)
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


class SessionRepo:
    """A tenant's sessions."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self.tenant_id = tenant_id

    def _scoped(self) -> Select[SessionRow]:
        return select(SessionRow).where(SessionRow.tenant_id == self.tenant_id)

    async def add(self, row: SessionRow) -> Session:
        """Insert a new session row (its tenant must be this repository's)."""
        if row.tenant_id != self.tenant_id:
            raise ValueError("a session row must belong to the repository's tenant")
        self._session.add(row)
        await self._session.flush()
        return to_session(row)

    async def row(self, session_id: str, *, for_update: bool = False) -> SessionRow:
        """The session's row; another tenant's session is not found, exactly like a missing one."""
        query = self._scoped().where(SessionRow.id == session_id)
        if for_update:
            query = query.with_for_update()
        row = await self._session.scalar(query)
        if row is None:
            raise NotFoundError(f"no session {session_id!r}", details={"session_id": session_id})
        return row

    async def get(self, session_id: str) -> Session:
        """The session, or :class:`NotFoundError`."""
        return to_session(await self.row(session_id))

    async def list(
        self,
        *,
        status: SessionStatus | None,
        platform: Platform | None,
        before: tuple[str] | None,
        limit: int,
    ) -> list[Session]:
        """Newest first; ``before`` is the last id of the previous page."""
        query = self._scoped()
        if status is not None:
            query = query.where(SessionRow.status == status.value)
        if platform is not None:
            query = query.where(SessionRow.platform == platform.value)
        if before is not None:
            query = query.where(SessionRow.id < before[0])
        rows = await self._session.scalars(query.order_by(SessionRow.id.desc()).limit(limit))
        return [to_session(row) for row in rows]

    async def delete(self, session_id: str) -> None:
        """Delete the session; its transcript, participants and events go with it (cascade)."""
        await self.row(session_id)
        await self._session.execute(
            delete(SessionRow).where(
                SessionRow.id == session_id, SessionRow.tenant_id == self.tenant_id
            )
        )


class TranscriptRepo:
    """A tenant's transcript turns."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self.tenant_id = tenant_id

    async def append(
        self, session_id: str, turns: Sequence[NewTranscriptTurn], now: datetime
    ) -> dict[str, int]:
        """Insert turns, skipping any whose idempotency key is stored already.

        Returns:
            The new turns' ids by idempotency key (turns stored before are absent).
        """
        if not turns:
            return {}
        values = [
            {
                "tenant_id": self.tenant_id,
                "session_id": session_id,
                "idempotency_key": turn.idempotency_key,
                "role": turn.role.value,
                "speaker_id": turn.speaker_id,
                "speaker_name": turn.speaker_name,
                "text": turn.text,
                "start_ms": turn.start_ms,
                "end_ms": turn.end_ms,
                "language": turn.language,
                "stream_offset_ms": turn.stream_offset_ms,
                "created_at": now,
            }
            for turn in turns
        ]
        table = TranscriptTurnRow.__table__
        statement = (
            _insert(self._session)(table)
            .on_conflict_do_nothing(index_elements=["session_id", "idempotency_key"])
            .returning(table.c.idempotency_key, table.c.id)
        )
        # Parameters apart from the statement: it is compiled once and cached (a statement with
        # its rows in ``.values()`` is compiled anew every time), and SQLAlchemy still sends the
        # rows as one multi-row INSERT ("insertmanyvalues").
        inserted = await self._session.execute(statement, values)
        return {key: row_id for key, row_id in inserted.all()}

    async def page(
        self, session_id: str, *, after: tuple[int, int] | None, limit: int
    ) -> list[TranscriptTurn]:
        """Turns in speaking order (start time, then arrival), after the ``(start_ms, id)`` key."""
        conditions: list[ColumnElement[bool]] = [
            TranscriptTurnRow.tenant_id == self.tenant_id,
            TranscriptTurnRow.session_id == session_id,
        ]
        if after is not None:
            start_ms, row_id = after
            conditions.append(
                or_(
                    TranscriptTurnRow.start_ms > start_ms,
                    and_(TranscriptTurnRow.start_ms == start_ms, TranscriptTurnRow.id > row_id),
                )
            )
        rows = await self._session.scalars(
            select(TranscriptTurnRow)
            .where(*conditions)
            .order_by(TranscriptTurnRow.start_ms, TranscriptTurnRow.id)
            .limit(limit)
        )
        return [to_turn(row) for row in rows]

    async def recent(self, session_id: str, limit: int) -> list[TranscriptTurn]:
        """The last ``limit`` turns, in speaking order."""
        rows = await self._session.scalars(
            select(TranscriptTurnRow)
            .where(
                TranscriptTurnRow.tenant_id == self.tenant_id,
                TranscriptTurnRow.session_id == session_id,
            )
            .order_by(TranscriptTurnRow.start_ms.desc(), TranscriptTurnRow.id.desc())
            .limit(limit)
        )
        return [to_turn(row) for row in reversed(list(rows))]

    async def count(self, session_id: str) -> int:
        """How many turns the session has."""
        total = await self._session.scalar(
            select(func.count())
            .select_from(TranscriptTurnRow)
            .where(
                TranscriptTurnRow.tenant_id == self.tenant_id,
                TranscriptTurnRow.session_id == session_id,
            )
        )
        return int(total or 0)


class EventRepo:
    """A tenant's session events (the resumable live feed) and their webhook outbox.

    Each event gets the next per-session ``seq`` while the session row is locked, so events
    commit in ``seq`` order. Recording an event also queues, in the same transaction, one
    delivery per subscribed webhook endpoint of the tenant.
    """

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self.tenant_id = tenant_id
        self._next_seq: dict[str, int] = {}
        self._endpoints: list[tuple[str, frozenset[str]]] | None = None

    async def lock(self, session_id: str) -> None:
        """Lock the session's row for this transaction (and read its last event number).

        Call it before writing anything that references the session (turns, participants):
        inserting those takes a shared key lock on the row first, and two transactions that
        both hold one and then ask for the row lock deadlock (PostgreSQL).
        """
        await self._allocate(session_id, reserve=False)

    async def _allocate(self, session_id: str, *, reserve: bool = True) -> int:
        if session_id not in self._next_seq:
            await self._session.execute(
                select(SessionRow.id)
                .where(SessionRow.id == session_id, SessionRow.tenant_id == self.tenant_id)
                .with_for_update()
            )
            last = await self._session.scalar(
                select(func.max(SessionEventRow.seq)).where(
                    SessionEventRow.session_id == session_id
                )
            )
            self._next_seq[session_id] = int(last or 0) + 1
        seq = self._next_seq[session_id]
        if reserve:
            self._next_seq[session_id] = seq + 1
        return seq

    async def _subscribers(self, type_: str) -> list[str]:
        if self._endpoints is None:
            rows = await self._session.execute(
                select(WebhookEndpointRow.id, WebhookEndpointRow.event_types).where(
                    WebhookEndpointRow.tenant_id == self.tenant_id
                )
            )
            self._endpoints = [(row_id, frozenset(types)) for row_id, types in rows.all()]
        return [
            endpoint_id
            for endpoint_id, types in self._endpoints
            if "*" in types or type_ in types or f"{type_.split('.')[0]}.*" in types
        ]

    async def add(
        self,
        session_id: str,
        type_: str,
        payload: dict[str, Any],
        now: datetime,
        *,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Record an event; returns its ``seq``, or None when the ``dedupe_key`` was seen."""
        return (await self.add_many(session_id, [(type_, payload, dedupe_key)], now))[0]

    async def add_many(
        self,
        session_id: str,
        events: Sequence[tuple[str, dict[str, Any], str | None]],
        now: datetime,
    ) -> list[int | None]:
        """Record ``(type, payload, dedupe_key)`` events of one session in one statement.

        Returns:
            Each event's ``seq``, or None for one whose ``dedupe_key`` was seen before.
        """
        if not events:
            return []
        seqs = [await self._allocate(session_id) for _ in events]
        table = SessionEventRow.__table__
        statement = (
            _insert(self._session)(table)
            .on_conflict_do_nothing(index_elements=["session_id", "dedupe_key"])
            .returning(table.c.seq)
        )
        rows = [
            {
                "tenant_id": self.tenant_id,
                "session_id": session_id,
                "seq": seq,
                "type": type_,
                "dedupe_key": dedupe_key,
                "payload": payload,
                "created_at": now,
            }
            for seq, (type_, payload, dedupe_key) in zip(seqs, events, strict=True)
        ]
        stored = set((await self._session.execute(statement, rows)).scalars())
        result = [seq if seq in stored else None for seq in seqs]
        deliveries: list[WebhookDeliveryRow] = []
        for seq, (type_, payload, _) in zip(result, events, strict=True):
            if seq is None:
                continue
            endpoints = await self._subscribers(type_)
            if not endpoints:
                continue
            body = json.dumps(
                {
                    "type": type_,
                    "timestamp": now.isoformat(),
                    "data": {"id": seq, "session_id": session_id, "payload": payload},
                },
                separators=(",", ":"),
            )
            deliveries.extend(
                WebhookDeliveryRow(
                    tenant_id=self.tenant_id,
                    endpoint_id=endpoint_id,
                    session_id=session_id,
                    event_seq=seq,
                    event_type=type_,
                    body=body,
                    msg_id=f"msg_{session_id}_{seq}",
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                for endpoint_id in endpoints
            )
        self._session.add_all(deliveries)
        return result

    async def after(self, session_id: str, after_seq: int, limit: int) -> list[SessionEventRow]:
        """Events with ``seq`` above ``after_seq``, in order."""
        rows = await self._session.scalars(
            select(SessionEventRow)
            .where(
                SessionEventRow.tenant_id == self.tenant_id,
                SessionEventRow.session_id == session_id,
                SessionEventRow.seq > after_seq,
            )
            .order_by(SessionEventRow.seq)
            .limit(limit)
        )
        return list(rows)


@dataclass(frozen=True)
class MeetingRoute:
    """Which tenant's session a Zoom meeting event belongs to."""

    tenant_id: str
    session_id: str
    status: SessionStatus
    rtms_stream_id: str | None
    created_at: datetime


_OPEN = [s.value for s in SessionStatus if s is not SessionStatus.ENDED]


class MeetingRouter:
    """Cross-tenant lookup used only to route Zoom's app-level webhooks to a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _routes(self, *conditions: ColumnElement[bool]) -> list[MeetingRoute]:
        rows = await self._session.scalars(
            select(SessionRow)
            .where(SessionRow.platform == Platform.ZOOM.value, SessionRow.status.in_(_OPEN))
            .where(*conditions)
            .order_by(SessionRow.created_at.desc())
        )
        return [
            MeetingRoute(
                tenant_id=row.tenant_id,
                session_id=row.id,
                status=SessionStatus(row.status),
                rtms_stream_id=row.rtms_stream_id,
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def by_stream(self, rtms_stream_id: str) -> list[MeetingRoute]:
        """Open sessions already bound to this RTMS stream."""
        return await self._routes(SessionRow.rtms_stream_id == rtms_stream_id)

    async def by_meeting_uuid(self, meeting_uuid: str) -> list[MeetingRoute]:
        """Open sessions bound to this meeting instance."""
        return await self._routes(SessionRow.meeting_uuid == meeting_uuid)

    async def by_meeting_id(self, meeting_id: str) -> list[MeetingRoute]:
        """Open sessions for this meeting number not yet bound to another instance."""
        return await self._routes(
            SessionRow.meeting_id == meeting_id, SessionRow.meeting_uuid.is_(None)
        )

    async def awaiting_start(self, tenant_ids: Sequence[str]) -> list[MeetingRoute]:
        """Sessions of these tenants that asked Zoom to start RTMS and wait for it."""
        if not tenant_ids:
            return []
        return await self._routes(
            SessionRow.tenant_id.in_(list(tenant_ids)),
            SessionRow.status == SessionStatus.RTMS_START_REQUESTED.value,
        )


@dataclass(frozen=True)
class LiveStream:
    """A session that was following an RTMS stream (to resume after a restart)."""

    tenant_id: str
    session_id: str
    meeting_uuid: str
    rtms_stream_id: str
    server_urls: str
    record_audio: bool


async def live_streams(
    session: AsyncSession, session_ids: Sequence[str] | None = None
) -> list[LiveStream]:
    """Sessions of every tenant that follow a stream right now (start-up and stream workers).

    Args:
        session: The database session.
        session_ids: Only these sessions (default: all).
    """
    query = select(SessionRow).where(
        SessionRow.status.in_([SessionStatus.LISTENING.value, SessionStatus.PAUSED.value]),
        SessionRow.rtms_stream_id.is_not(None),
        SessionRow.rtms_server_urls.is_not(None),
        SessionRow.meeting_uuid.is_not(None),
    )
    if session_ids is not None:
        query = query.where(SessionRow.id.in_(list(session_ids)))
    rows = await session.scalars(query.order_by(SessionRow.id))
    return [
        LiveStream(
            tenant_id=row.tenant_id,
            session_id=row.id,
            meeting_uuid=row.meeting_uuid or "",
            rtms_stream_id=row.rtms_stream_id or "",
            server_urls=row.rtms_server_urls or "",
            record_audio=bool(row.record_audio),
        )
        for row in rows
    ]
