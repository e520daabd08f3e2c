"""SQLAlchemy 2 models. Tenant-owned rows carry ``tenant_id``; every query filters on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

__all__ = [
    "ApiKeyRow",
    "Base",
    "OAuthStateRow",
    "ParticipantRow",
    "SessionEventRow",
    "SessionRow",
    "TenantRow",
    "TranscriptTurnRow",
    "UTCDateTime",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
    "WebhookReceiptRow",
    "ZoomInstallationRow",
]

# Integer primary keys that autoincrement on SQLite too (BIGINT alone does not there).
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a UTC-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names Alembic can rely on."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class TenantRow(Base):
    """An application using MeetMind."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime]


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SessionRow(Base):
    """One agent in one meeting."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_tenant_status", "tenant_id", "status"),
        Index("ix_sessions_platform_meeting", "platform", "meeting_id"),
        Index("ix_sessions_meeting_uuid", "meeting_uuid"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    meeting_id: Mapped[str] = mapped_column(String(32))
    meeting_url: Mapped[str | None] = mapped_column(Text)
    agent_name: Mapped[str] = mapped_column(String(64))
    wake_words: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    meeting_uuid: Mapped[str | None] = mapped_column(String(128))
    rtms_stream_id: Mapped[str | None] = mapped_column(String(128))
    rtms_server_urls: Mapped[str | None] = mapped_column(Text)
    record_audio: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    audio_path: Mapped[str | None] = mapped_column(Text)
    rtms_start_requested_at: Mapped[datetime | None]
    rtms_start_requested_by: Mapped[str | None] = mapped_column(String(128))
    stream_fence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Fencing token of the worker that owns the stream (scale-out); its writes must carry it."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class TranscriptTurnRow(Base):
    """One utterance; ``(session_id, idempotency_key)`` is unique so a turn is stored once."""

    __tablename__ = "transcript_turns"
    __table_args__ = (
        UniqueConstraint("session_id", "idempotency_key", name="uq_transcript_turns_idempotency"),
        Index("ix_transcript_turns_order", "session_id", "start_ms", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    speaker_id: Mapped[str | None] = mapped_column(String(64))
    speaker_name: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(32))
    stream_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ParticipantRow(Base):
    """Someone seen in a session's meeting."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("session_id", "platform_user_id", name="uq_participants_user"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(256))
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]


class SessionEventRow(Base):
    """An event in a session's life (stream state, participants, wake words, agent replies...).

    ``dedupe_key`` (when set) makes recording the same event twice a no-op.
    """

    __tablename__ = "session_events"
    __table_args__ = (
        UniqueConstraint("session_id", "dedupe_key", name="uq_session_events_dedupe"),
        UniqueConstraint("session_id", "seq", name="uq_session_events_seq"),
        Index("ix_session_events_feed", "session_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    """Per-session event number, allocated under the session's row lock: the feed's event id
    (commit order equals ``seq`` order, so a reader that saw ``seq`` N never misses an N-1)."""
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OAuthStateRow(Base):
    """A pending Zoom install: the ``state`` nonce (hashed), single use, expiring."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    code_verifier_enc: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ZoomInstallationRow(Base):
    """A tenant's Zoom connection. Tokens are stored encrypted only.

    ``token_version`` grows with every token change (compare-and-swap); ``refresh_lease_until``
    lets exactly one process refresh at a time.
    """

    __tablename__ = "zoom_installations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    zoom_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    zoom_account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    api_url: Mapped[str | None] = mapped_column(Text)
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32))
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    refresh_lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookReceiptRow(Base):
    """A Zoom webhook delivery, kept to drop duplicates and as a durable inbox."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (Index("ix_webhook_receipts_pending", "processed_at"),)

    event_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)


class WebhookEndpointRow(Base):
    """An application's webhook endpoint; its signing secret is stored encrypted."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret_enc: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class WebhookDeliveryRow(Base):
    """The outbox: one delivery of one event to one endpoint, written with the event."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[str] = mapped_column(String(40))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    msg_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
