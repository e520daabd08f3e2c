"""The MeetMind facade: the one way in for the API, the CLI and applications.

Example::

    async with MeetMind() as mm:
        tenant = await mm.create_tenant("acme")
        acme = mm.tenant(tenant.id)
        session = await acme.create_session(platform="zoom", meeting_id="812 3456 7890")
        page = await acme.transcript(session.id)
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis

from meetmind.agent.bridge import ReplyBridge, ReplyMode
from meetmind.agent.responder import Responder
from meetmind.clock import Clock, SystemClock
from meetmind.cluster.bus import RedisBus
from meetmind.cluster.dispatch import RedisStreamDispatch
from meetmind.cluster.roles import Role, check_scale_out
from meetmind.cluster.worker import StreamWorker, new_worker_id
from meetmind.config import Settings, load_settings
from meetmind.domain.cursor import decode_cursor, encode_cursor
from meetmind.domain.errors import (
    AuthenticationError,
    ConflictError,
    IllegalTransitionError,
    InvalidInputError,
)
from meetmind.domain.events import StreamStateChanged
from meetmind.domain.feed import normalize_event_types
from meetmind.domain.models import (
    ApiKey,
    FeedEvent,
    NewTranscriptTurn,
    Page,
    Session,
    Tenant,
    TranscriptTurn,
    WebhookDelivery,
    WebhookEndpoint,
)
from meetmind.domain.sessions import (
    Platform,
    SessionStatus,
    check_transition,
    normalize_agent_name,
    normalize_meeting_id,
    normalize_meeting_url,
    normalize_platform,
    normalize_wake_words,
)
from meetmind.ids import new_id
from meetmind.runtime.agent import AgentRuntime, ReplyOutcome
from meetmind.runtime.agent_setup import build_bridge, build_responder
from meetmind.runtime.bus import EventBus
from meetmind.runtime.delivery import WebhookDelivery as DeliveryWorker
from meetmind.runtime.delivery import endpoint_secret_context
from meetmind.runtime.ingest import Ingestor, Persisted, StreamContext
from meetmind.runtime.streams import StreamSupervisor
from meetmind.runtime.zoom_inbox import RtmsStreamSink, ZoomInbox
from meetmind.store.db import Database
from meetmind.store.repo import (
    ApiKeyRepo,
    EventRepo,
    SessionRepo,
    TenantRepo,
    TranscriptRepo,
    to_session,
)
from meetmind.store.schema import SessionRow, WebhookEndpointRow
from meetmind.store.vault import KeyRing, key_ring_from_settings
from meetmind.store.webhook_repo import EndpointRepo
from meetmind.webhook_signing import generate_secret
from meetmind.zoom.connection import AuthorizeLink, Installation, KeyRotation, ZoomConnection
from meetmind.zoom.control import RtmsAction, RtmsControlResult, ZoomApiClient
from meetmind.zoom.oauth import ZoomOAuthClient
from meetmind.zoom.tokens import TokenManager

__all__ = ["MAX_PAGE_SIZE", "MeetMind", "TenantScope"]

MAX_PAGE_SIZE = 500
_API_KEY_PREFIX = "mm_"


def _hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInputError("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    return limit


class MeetMind:
    """The SDK. Open it (``async with`` or :meth:`start`) before use; close it after."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        database: Database | None = None,
        clock: Clock | None = None,
        http: httpx.AsyncClient | None = None,
        stream_sink: RtmsStreamSink | None = None,
        responder: Responder | None = None,
        bridge: ReplyBridge | None = None,
        role: Role = "all-in-one",
    ) -> None:
        self.settings = settings or load_settings()
        self.role: Role = role
        if role != "all-in-one":
            check_scale_out(self.settings, role)
        self.database = database or Database(self.settings.database_url)
        self.clock: Clock = clock or SystemClock()
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        self.keyring: KeyRing = key_ring_from_settings(
            self.settings.encryption_keys.get_secret_value()
            if self.settings.encryption_keys
            else None,
            production=self.settings.env == "production",
        )
        settings_ = self.settings
        oauth = ZoomOAuthClient(
            self.http,
            base_url=settings_.zoom_oauth_base_url,
            client_id=settings_.zoom_client_id,
            client_secret=settings_.zoom_client_secret.get_secret_value(),
        )
        self.zoom = ZoomConnection(
            database=self.database,
            keyring=self.keyring,
            oauth=oauth,
            api=ZoomApiClient(self.http, base_url=settings_.zoom_api_base_url, clock=self.clock),
            tokens=TokenManager(self.database, self.keyring, oauth, self.clock),
            clock=self.clock,
            oauth_base_url=settings_.zoom_oauth_base_url,
            client_id=settings_.zoom_client_id,
            public_base_url=settings_.base_url,
        )
        self.bus = EventBus()
        self.node_id = new_worker_id()
        self.redis: Redis | None = None
        self.cluster_bus: RedisBus | None = None
        self.worker: StreamWorker | None = None
        if settings_.redis_url and role != "all-in-one":
            self.redis = Redis.from_url(settings_.redis_url)
            self.cluster_bus = RedisBus(
                self.bus, self.redis, settings_.redis_namespace, self.node_id
            )
        self.ingestor = Ingestor(
            self.database,
            self.clock,
            batch_size=settings_.ingest_batch_size,
            listeners=[self._announce],
            on_fenced=self._fenced,
        )
        self.agent = AgentRuntime(
            self.database,
            self.clock,
            self.bus,
            responder or build_responder(settings_, self.http),
            bridge if bridge is not None else build_bridge(settings_, self.http),
            reply_mode=settings_.agent_reply_mode,
        )
        self.ingestor.listeners.append(self.agent.on_persisted)
        self.delivery = DeliveryWorker(
            self.database,
            self.keyring,
            self.clock,
            self.http,
            retry_scale=settings_.webhook_retry_scale,
        )
        self.bus.on_any(self.delivery.wake)
        self.streams = StreamSupervisor(
            settings_, self.database, self.clock, self.ingestor, on_finished=self._stream_finished
        )
        if self.redis is not None and role == "worker":
            self.worker = StreamWorker(
                self.redis,
                self.database,
                self.streams,
                namespace=settings_.redis_namespace,
                worker_id=self.node_id,
                lease_ttl_s=settings_.worker_lease_ttl_seconds,
                max_streams=settings_.worker_max_streams,
                written=self.ingestor.written,
            )
        if stream_sink is None and self.redis is not None and role == "api":
            stream_sink = RedisStreamDispatch(self.redis, settings_.redis_namespace)
        self.zoom_inbox = ZoomInbox(
            self.database,
            self.clock,
            secret_token=settings_.zoom_webhook_secret_token.get_secret_value(),
            sink=stream_sink or self.streams,
            on_event=self.bus.notify,
        )

    async def start(self, *, auto_migrate: bool | None = None, background: bool = True) -> None:
        """Check the schema and start background work.

        Background work is the ingest writer, the Zoom webhook inbox and the live streams
        (those that were live when this database's process last stopped are resumed).
        SQLite migrates itself by default; PostgreSQL must be migrated (``meetmind migrate``).
        """
        migrate = self.database.is_sqlite if auto_migrate is None else auto_migrate
        await self.database.ensure_schema(auto_migrate=migrate)
        if not background:
            return
        if self.cluster_bus is not None:
            await self.cluster_bus.start()
        self.ingestor.start()
        if self.role != "api":  # deliveries are claimed by workers (or the single process)
            self.delivery.start()
        if self.role != "worker":  # Zoom's webhooks arrive at API nodes
            self.zoom_inbox.start()
        if self.worker is not None:
            await self.worker.start()
        elif self.role == "all-in-one":
            await self.streams.resume()

    async def close(self) -> None:
        """Stop background work (leaving live streams for a successor) and release connections.

        A worker drains first: it leaves its streams and hands them to the other workers.
        """
        if self.worker is not None:
            await self.worker.drain()
            await self.worker.close()
        await self.zoom_inbox.stop()
        await self.streams.close()
        await self.ingestor.stop()
        await self.agent.close()
        await self.delivery.stop()
        if self.cluster_bus is not None:
            await self.cluster_bus.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self._owns_http:
            await self.http.aclose()
        await self.database.dispose()

    async def _stream_finished(self, session_id: str, final: StreamStateChanged) -> None:
        if self.worker is not None:
            await self.worker.stream_finished(session_id, final)

    def _fenced(self, context: StreamContext) -> None:
        if self.worker is not None:
            self.worker.fenced(context)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _announce(self, persisted: Sequence[Persisted]) -> None:
        by_session: dict[str, list[FeedEvent]] = {}
        for record in persisted:
            by_session.setdefault(record.session_id, []).append(record.feed_event())
        for session_id, events in by_session.items():
            self.bus.notify(session_id, sorted(events, key=lambda e: e.id))

    async def ready(self) -> None:
        """Raise if the database cannot be reached."""
        await self.database.ping()

    # -- tenants and keys (operator actions) -------------------------------------------------

    async def create_tenant(self, name: str) -> Tenant:
        """Create a tenant with a unique name."""
        cleaned = " ".join(name.split())
        if not cleaned or len(cleaned) > 128:
            raise InvalidInputError("tenant", "a tenant name is 1 to 128 characters")
        now = self.clock.now()
        async with self.database.transaction() as db:
            return await TenantRepo(db).create(new_id("ten", now), cleaned, now)

    async def get_or_create_tenant(self, name: str) -> Tenant:
        """The tenant with this name, created if it does not exist."""
        async with self.database.transaction() as db:
            found = await TenantRepo(db).by_name(" ".join(name.split()))
        return found or await self.create_tenant(name)

    async def create_api_key(self, tenant_id: str) -> ApiKey:
        """A new API key for the tenant. Its secret is in the result only; keep it."""
        now = self.clock.now()
        secret = _API_KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = new_id("key", now)
        async with self.database.transaction() as db:
            await ApiKeyRepo(db).add(key_id, tenant_id, _hash_key(secret), now)
        return ApiKey(id=key_id, tenant_id=tenant_id, secret=secret, created_at=now)

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        """Revoke a key; False if the tenant has no key with that id."""
        async with self.database.transaction() as db:
            return await ApiKeyRepo(db).revoke(tenant_id, key_id, self.clock.now())

    async def authenticate(self, api_key: str) -> TenantScope:
        """The tenant an API key belongs to, or :class:`AuthenticationError`."""
        if not api_key.startswith(_API_KEY_PREFIX) or len(api_key) > 200:
            raise AuthenticationError("the API key is malformed")
        async with self.database.transaction() as db:
            owner = await ApiKeyRepo(db).owner_of(_hash_key(api_key))
        if owner is None:
            raise AuthenticationError("the API key is unknown or revoked")
        tenant_id, key_id = owner
        return TenantScope(self, tenant_id, actor=f"api_key:{key_id}")

    def tenant(self, tenant_id: str, *, actor: str | None = None) -> TenantScope:
        """Everything a tenant may do; nothing it returns belongs to another tenant."""
        return TenantScope(self, tenant_id, actor=actor)

    # -- Zoom (app level) ----------------------------------------------------------------------

    async def complete_zoom_install(self, *, code: str | None, state: str | None) -> Installation:
        """Finish an install from Zoom's redirect; ``state`` says which tenant it is for."""
        return await self.zoom.complete_install(code=code, state=state)

    async def receive_zoom_webhook(
        self, headers: Mapping[str, str], raw_body: bytes
    ) -> dict[str, str]:
        """Verify and accept a Zoom webhook (processing happens in the background)."""
        return await self.zoom_inbox.receive(headers, raw_body)

    async def rotate_encryption_keys(self) -> KeyRotation:
        """Re-encrypt every stored token under the newest key."""
        return await self.zoom.rotate_keys()


class TenantScope:
    """The SDK seen by one tenant. Get one from :meth:`MeetMind.tenant`."""

    def __init__(self, meetmind: MeetMind, tenant_id: str, *, actor: str | None = None) -> None:
        self._mm = meetmind
        self.tenant_id = tenant_id
        self.actor = actor or "sdk"
        """Who acts (``api_key:<id>`` over the API), recorded on RTMS requests."""

    # -- sessions ------------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        platform: str = "zoom",
        meeting_id: str,
        meeting_url: str | None = None,
        agent_name: str | None = None,
        wake_words: list[str] | None = None,
        record_audio: bool = False,
    ) -> Session:
        """Create a session for a meeting; it starts ``created``.

        With ``record_audio`` the meeting's audio is written to a WAV file per session.
        """
        settings = self._mm.settings
        kind = normalize_platform(platform)
        meeting = normalize_meeting_id(kind, meeting_id)
        url = normalize_meeting_url(meeting_url, meeting)
        words = normalize_wake_words(wake_words, settings.wake_words)
        name = normalize_agent_name(agent_name, settings.agent_name)
        now = self._mm.clock.now()
        row = SessionRow(
            id=new_id("ses", now),
            tenant_id=self.tenant_id,
            platform=kind.value,
            meeting_id=meeting,
            meeting_url=url,
            agent_name=name,
            wake_words=words,
            record_audio=record_audio,
            status=SessionStatus.CREATED.value,
            created_at=now,
            updated_at=now,
        )
        async with self._mm.database.transaction() as db:
            return await SessionRepo(db, self.tenant_id).add(row)

    async def get_session(self, session_id: str) -> Session:
        """One session, or :class:`NotFoundError` (also for another tenant's)."""
        async with self._mm.database.transaction() as db:
            return await SessionRepo(db, self.tenant_id).get(session_id)

    async def list_sessions(
        self,
        *,
        status: str | None = None,
        platform: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Session]:
        """Sessions, newest first, a page at a time."""
        wanted_status = _parse_status(status) if status is not None else None
        wanted_platform = normalize_platform(platform) if platform is not None else None
        before = None
        if cursor:
            (last_id,) = decode_cursor("sessions", cursor, "cursor", (str,))
            before = (str(last_id),)
        limit = _check_limit(limit)
        async with self._mm.database.transaction() as db:
            items = await SessionRepo(db, self.tenant_id).list(
                status=wanted_status, platform=wanted_platform, before=before, limit=limit
            )
        position = encode_cursor("sessions", [items[-1].id]) if items else cursor
        return Page(
            items=items,
            next_cursor=position if len(items) == limit else None,
            position=position,
        )

    async def set_status(
        self, session_id: str, status: SessionStatus, *, reason: str | None = None
    ) -> Session:
        """Move a session to ``status`` if the transition is allowed (else 409)."""
        now = self._mm.clock.now()
        async with self._mm.database.transaction() as db:
            repo = SessionRepo(db, self.tenant_id)
            row = await repo.row(session_id, for_update=True)
            check_transition(SessionStatus(row.status), status)
            row.status = status.value
            row.updated_at = now
            if status is SessionStatus.FAILED:
                row.failure_reason = reason or "unknown"
            elif status is not SessionStatus.ENDED:
                row.failure_reason = None
            if status is SessionStatus.ENDED:
                row.ended_at = now
            await db.flush()
            return to_session(row)

    async def end_session(self, session_id: str) -> Session:
        """End a session; ending an ended one is a conflict."""
        return await self.set_status(session_id, SessionStatus.ENDED)

    async def delete_session(self, session_id: str) -> None:
        """Delete a session and everything recorded for it."""
        async with self._mm.database.transaction() as db:
            await SessionRepo(db, self.tenant_id).delete(session_id)

    # -- Zoom connection and RTMS control -------------------------------------------------------

    async def zoom_authorize_link(self) -> AuthorizeLink:
        """A fresh Zoom install link for this tenant (single-use state, 10 minutes, PKCE)."""
        return await self._mm.zoom.authorize_link(self.tenant_id)

    async def zoom_installation(self) -> Installation | None:
        """This tenant's Zoom installation (never its tokens)."""
        return await self._mm.zoom.installation(self.tenant_id)

    async def zoom_disconnect(self) -> bool:
        """Revoke the Zoom grant and delete the tokens; returns whether Zoom confirmed."""
        return await self._mm.zoom.disconnect(self.tenant_id)

    async def control_rtms(
        self, session_id: str, action: RtmsAction | str, *, participant_user_id: str | None = None
    ) -> tuple[Session, RtmsControlResult]:
        """Start, stop, pause or resume RTMS for the session's meeting through Zoom's REST API.

        The session must allow the action (409 otherwise). On success the session records the
        request; Zoom then confirms a start or stop with a webhook.
        """
        try:
            wanted = RtmsAction(action)
        except ValueError:
            allowed = ", ".join(a.value for a in RtmsAction)
            raise InvalidInputError("action", f"one of {allowed}") from None
        if participant_user_id is not None and not 0 < len(participant_user_id) <= 64:
            raise InvalidInputError("participant_user_id", "1 to 64 characters")
        session = await self.get_session(session_id)
        if session.platform is not Platform.ZOOM:
            raise InvalidInputError("session_id", "RTMS control needs a Zoom session")
        before, target = _rtms_transition(session.status, wanted)
        result = await self._mm.zoom.control_rtms(
            self.tenant_id,
            meeting_id=session.meeting_id,
            action=wanted,
            participant_user_id=participant_user_id,
        )
        now = self._mm.clock.now()
        async with self._mm.database.transaction() as db:
            row = await SessionRepo(db, self.tenant_id).row(session_id, for_update=True)
            # A fast webhook may have moved the session already; only move it from `before`.
            if target is not None and row.status == before.value:
                row.status = target.value
                row.failure_reason = None
            if wanted is RtmsAction.START:
                row.rtms_start_requested_at = now
                row.rtms_start_requested_by = self.actor
            row.updated_at = now
            await EventRepo(db, self.tenant_id).add(
                session_id,
                "rtms.control",
                {
                    "action": wanted.value,
                    "actor": self.actor,
                    "zoom_status": result.status_code,
                    "participant_user_id": participant_user_id,
                },
                now,
            )
            await db.flush()
            updated = to_session(row)
        self._mm.bus.notify(session_id)
        return updated, result

    # -- the agent -------------------------------------------------------------------------------

    async def speak(
        self, session_id: str, text: str, *, mode: ReplyMode | None = None
    ) -> ReplyOutcome:
        """Say ``text`` in the session's meeting through the reply bridge, and record it."""
        cleaned = text.strip()
        if not cleaned or len(cleaned) > 4000:
            raise InvalidInputError("text", "1 to 4000 characters")
        await self.get_session(session_id)
        if self._mm.agent.bridge is None:
            raise ConflictError(
                "no reply bridge is configured (MEETMIND_AGENT_BRIDGE): nothing can speak",
                details={"setting": "MEETMIND_AGENT_BRIDGE"},
            )
        return await self._mm.agent.deliver(self.tenant_id, session_id, cleaned, mode=mode)

    # -- outgoing webhooks ----------------------------------------------------------------------

    async def create_webhook(self, url: str, event_types: list[str]) -> WebhookEndpoint:
        """Register an endpoint for these event types; the result carries its signing secret
        (``whsec_...``), shown only this once."""
        target = url.strip()
        parts = urlsplit(target)
        if parts.scheme not in {"http", "https"} or not parts.hostname or len(target) > 2048:
            raise InvalidInputError("url", "must be an http(s) URL with a host, 2048 chars max")
        types = normalize_event_types(event_types)
        now = self._mm.clock.now()
        endpoint_id = new_id("whe", now)
        secret = generate_secret()
        row = WebhookEndpointRow(
            id=endpoint_id,
            tenant_id=self.tenant_id,
            url=target,
            secret_enc=self._mm.keyring.encrypt(secret, endpoint_secret_context(endpoint_id)),
            event_types=types,
            created_at=now,
        )
        async with self._mm.database.transaction() as db:
            await EndpointRepo(db, self.tenant_id).add(row)
        return WebhookEndpoint(endpoint_id, target, tuple(types), now, secret=secret)

    async def webhooks(self) -> list[WebhookEndpoint]:
        """The tenant's endpoints (without secrets)."""
        async with self._mm.database.transaction() as db:
            rows = await EndpointRepo(db, self.tenant_id).all()
        return [WebhookEndpoint(r.id, r.url, tuple(r.event_types), r.created_at) for r in rows]

    async def delete_webhook(self, endpoint_id: str) -> None:
        """Remove an endpoint; its undelivered deliveries go with it."""
        async with self._mm.database.transaction() as db:
            await EndpointRepo(db, self.tenant_id).delete(endpoint_id)

    async def webhook_deliveries(
        self, endpoint_id: str, *, limit: int = 100
    ) -> list[WebhookDelivery]:
        """The endpoint's delivery log, newest first."""
        limit = _check_limit(limit)
        async with self._mm.database.transaction() as db:
            rows = await EndpointRepo(db, self.tenant_id).deliveries(endpoint_id, limit)
        return [
            WebhookDelivery(
                id=r.id,
                endpoint_id=r.endpoint_id,
                session_id=r.session_id,
                event_id=r.event_seq,
                event_type=r.event_type,
                message_id=r.msg_id,
                status=r.status,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
                last_status=r.last_status,
                last_error=r.last_error,
                created_at=r.created_at,
                delivered_at=r.delivered_at,
            )
            for r in rows
        ]

    # -- live feed -----------------------------------------------------------------------------

    async def events(self, session_id: str, *, after: int = 0, limit: int = 100) -> list[FeedEvent]:
        """Feed events with an id above ``after``, oldest first."""
        if after < 0:
            raise InvalidInputError("after", "must be a non-negative event id")
        limit = _check_limit(limit)
        async with self._mm.database.transaction() as db:
            await SessionRepo(db, self.tenant_id).row(session_id)
            rows = await EventRepo(db, self.tenant_id).after(session_id, after, limit)
        return [
            FeedEvent(
                id=row.seq,
                type=row.type,
                session_id=row.session_id,
                created_at=row.created_at,
                payload=row.payload,
            )
            for row in rows
        ]

    async def follow(
        self, session_id: str, *, after: int = 0, keepalive: float = 15.0
    ) -> AsyncIterator[FeedEvent | None]:
        """Every feed event after ``after``, then live ones as they happen, forever.

        Replays from the database, then waits on the bus and reads again, so a reconnecting
        follower sees each event exactly once and in order. Yields None after ``keepalive``
        seconds without events (time to send a keep-alive).
        """
        await self.get_session(session_id)  # 404 before anything streams
        last = after
        read = True
        async with self._mm.bus.listen(session_id) as waiter:
            while True:
                if read:
                    # Shielded: a follower that disconnects mid-read must not abandon a
                    # database transaction half-way (on SQLite that would keep the write lock).
                    batch = await asyncio.shield(
                        self.events(session_id, after=last, limit=MAX_PAGE_SIZE)
                    )
                    for event in batch:
                        last = event.id
                        yield event
                    if len(batch) == MAX_PAGE_SIZE:
                        continue
                try:
                    async with asyncio.timeout(keepalive):
                        await waiter.wait()
                except TimeoutError:
                    yield None
                    continue
                handed, unknown = waiter.take()
                handed = [event for event in handed if event.id > last]
                # Handed events continue the feed only without a hole (a ``seq`` can also be
                # skipped by a deduplicated insert); anything else is read from the database.
                read = unknown or any(event.id != last + 1 + n for n, event in enumerate(handed))
                if not read:
                    for event in handed:
                        last = event.id
                        yield event

    # -- transcript ----------------------------------------------------------------------------

    async def append_transcript(self, session_id: str, turns: Sequence[NewTranscriptTurn]) -> int:
        """Store turns; a turn whose idempotency key is stored already is skipped.

        Returns:
            How many turns were new.
        """
        for index, turn in enumerate(turns):
            if not turn.idempotency_key or len(turn.idempotency_key) > 200:
                raise InvalidInputError(f"turns[{index}].idempotency_key", "1 to 200 characters")
            if turn.end_ms < turn.start_ms:
                raise InvalidInputError(f"turns[{index}].end_ms", "must not be before start_ms")
        async with self._mm.database.transaction() as db:
            await SessionRepo(db, self.tenant_id).row(session_id)
            inserted = await TranscriptRepo(db, self.tenant_id).append(
                session_id, turns, self._mm.clock.now()
            )
            return len(inserted)

    async def transcript(
        self, session_id: str, *, after: str | None = None, limit: int = 100
    ) -> Page[TranscriptTurn]:
        """A page of the transcript in speaking order; ``after`` is a previous ``next_cursor``."""
        key = None
        if after:
            start_ms, row_id = decode_cursor("transcript", after, "after", (int, int))
            key = (int(start_ms), int(row_id))
        limit = _check_limit(limit)
        async with self._mm.database.transaction() as db:
            await SessionRepo(db, self.tenant_id).row(session_id)
            turns = TranscriptRepo(db, self.tenant_id)
            items = await turns.page(session_id, after=key, limit=limit)
        position = after
        if items:
            position = encode_cursor("transcript", [items[-1].start_ms, items[-1].id])
        return Page(
            items=items,
            next_cursor=position if len(items) == limit else None,
            position=position,
        )


_RTMS_FROM: dict[RtmsAction, tuple[frozenset[SessionStatus], SessionStatus | None]] = {
    RtmsAction.START: (
        frozenset({SessionStatus.CREATED, SessionStatus.FAILED}),
        SessionStatus.RTMS_START_REQUESTED,
    ),
    RtmsAction.STOP: (
        frozenset(
            {SessionStatus.RTMS_START_REQUESTED, SessionStatus.LISTENING, SessionStatus.PAUSED}
        ),
        None,
    ),
    RtmsAction.PAUSE: (frozenset({SessionStatus.LISTENING}), SessionStatus.PAUSED),
    RtmsAction.RESUME: (frozenset({SessionStatus.PAUSED}), SessionStatus.LISTENING),
}


def _rtms_transition(
    status: SessionStatus, action: RtmsAction
) -> tuple[SessionStatus, SessionStatus | None]:
    """``(status, target)`` for an RTMS action, or 409 when the status does not allow it."""
    allowed, target = _RTMS_FROM[action]
    if status not in allowed:
        raise IllegalTransitionError(
            f"RTMS {action.value} is not possible while the session is {status.value!r}",
            details={"from": status.value, "action": action.value},
        )
    if target is not None:
        check_transition(status, target)
    return status, target


def _parse_status(value: str) -> SessionStatus:
    try:
        return SessionStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in SessionStatus)
        raise InvalidInputError("status", f"unknown status {value!r}; one of {allowed}") from None
