"""Zoom webhooks in: verify, drop duplicates, acknowledge at once, process in the background.

Receiving only verifies the signature and writes a receipt (the durable inbox); the HTTP answer
goes back within Zoom's 3 s no matter what processing costs. A background worker then routes
each event to the session it concerns and hands stream work to the runtime's sink. Receipts left
unprocessed by a crash are processed at the next start.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from meetmind.clock import Clock
from meetmind.domain.errors import IllegalTransitionError, InvalidInputError
from meetmind.domain.sessions import SessionStatus, check_transition
from meetmind.store.db import Database
from meetmind.store.repo import EventRepo, MeetingRoute, MeetingRouter, SessionRepo
from meetmind.store.zoom_repo import InstallationRepo, WebhookReceiptRepo
from meetmind.zoom.events import (
    FAILURE_STOP_REASONS,
    InvalidWebhookBodyError,
    RtmsStreamEvent,
    RtmsStreamEventKind,
    app_deauthorized,
    parse_webhook,
    rtms_stream_event,
    stop_reason_name,
)
from meetmind.zoom.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    URL_VALIDATION_EVENT,
    url_validation_response,
    verify_webhook_signature,
)

__all__ = ["RtmsStreamSink", "ZoomInbox"]

log = logging.getLogger(__name__)

_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,128}")


class RtmsStreamSink(Protocol):
    """Where routed RTMS stream events go (the stream runtime)."""

    async def rtms_started(
        self, tenant_id: str, session_id: str, event: RtmsStreamEvent, *, failover: bool
    ) -> None:
        """A stream started, or (``failover``) restarted on new servers: connect to it."""

    async def rtms_stopped(self, tenant_id: str, session_id: str, event: RtmsStreamEvent) -> None:
        """The stream ended: close its connections."""

    async def rtms_interrupted(
        self, tenant_id: str, session_id: str, event: RtmsStreamEvent
    ) -> None:
        """Zoom lost the signaling connection: redo signaling and media."""


class ZoomInbox:
    """Receives Zoom webhooks and processes them in order in the background."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        secret_token: str,
        sink: RtmsStreamSink | None = None,
        on_event: Callable[[str], None] | None = None,
        tolerance_s: float = 300,
    ) -> None:
        self._database = database
        self._clock = clock
        self._secret_token = secret_token
        self.sink = sink
        self._on_event = on_event
        self._tolerance_s = tolerance_s
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._receipts: asyncio.Queue[tuple[str, str, str, asyncio.Future[bool]]] = asyncio.Queue()
        self.received = 0
        """Verified deliveries (duplicates included), for metrics; ``duplicates`` of them."""
        self.duplicates = 0

    # -- receiving (the HTTP request path: cheap, bounded) ---------------------------------------

    async def receive(self, headers: Mapping[str, str], raw_body: bytes) -> dict[str, str]:
        """Verify and record one delivery; returns the JSON to answer Zoom with.

        Raises:
            InvalidWebhookBodyError: too large or not an event envelope (400).
            WebhookVerificationError: bad, missing or stale signature (401).
        """
        webhook = parse_webhook(raw_body)
        signature = headers.get(SIGNATURE_HEADER)
        timestamp = headers.get(TIMESTAMP_HEADER)
        if webhook.event == URL_VALIDATION_EVENT:
            return self._answer_challenge(webhook.payload, timestamp, signature, raw_body)
        if not self._secret_token:
            raise InvalidInputError(
                "MEETMIND_ZOOM_WEBHOOK_SECRET_TOKEN", "is not set: webhooks cannot be verified"
            )
        verify_webhook_signature(
            self._secret_token,
            timestamp,
            signature,
            raw_body,
            now=self._clock.now().timestamp(),
            tolerance_s=self._tolerance_s,
        )
        self.received += 1
        event_hash = hashlib.sha256(raw_body).hexdigest()
        fresh = await self._store_receipt(event_hash, webhook.event, raw_body.decode())
        if not fresh:
            self.duplicates += 1
            log.info("duplicate Zoom delivery of %s ignored", webhook.event)
            return {"status": "duplicate"}
        self._idle.clear()
        self._wake.set()
        return {"status": "accepted"}

    async def _store_receipt(self, event_hash: str, event: str, body: str) -> bool:
        """Store the receipt before answering; concurrent deliveries share one transaction."""
        if self._writer is None:
            async with self._database.transaction() as db:
                new = await WebhookReceiptRepo(db).add_many(
                    [(event_hash, event, body)], self._clock.now()
                )
            return event_hash in new
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._receipts.put_nowait((event_hash, event, body, done))
        return await done

    async def _write_receipts(self) -> None:
        """Group commit: write every waiting receipt in one transaction, then answer them all."""
        while True:
            first = await self._receipts.get()
            batch = [first]
            while not self._receipts.empty() and len(batch) < 500:
                batch.append(self._receipts.get_nowait())
            try:
                async with self._database.transaction() as db:
                    new = await WebhookReceiptRepo(db).add_many(
                        [(h, e, b) for h, e, b, _ in batch], self._clock.now()
                    )
            except Exception as exc:  # each waiting request fails (Zoom will retry it)
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            answered: set[str] = set()
            for event_hash, _, _, done in batch:
                if not done.done():
                    # Within one batch the same body counts as new only for its first copy.
                    done.set_result(event_hash in new and event_hash not in answered)
                answered.add(event_hash)

    def _answer_challenge(
        self,
        payload: Mapping[str, object],
        timestamp: str | None,
        signature: str | None,
        raw_body: bytes,
    ) -> dict[str, str]:
        plain = payload.get("plainToken")
        if not isinstance(plain, str) or not _PLAIN_TOKEN.fullmatch(plain):
            # Refusing odd tokens means the answer can never sign a forged "v0:..." message.
            raise InvalidWebhookBodyError(
                "url_validation needs a plainToken of 8-128 letters, digits, `_` or `-`",
                details={"reason": "bad_plain_token"},
            )
        if signature or timestamp:
            verify_webhook_signature(
                self._secret_token,
                timestamp,
                signature,
                raw_body,
                now=self._clock.now().timestamp(),
                tolerance_s=self._tolerance_s,
            )
        return url_validation_response(self._secret_token, plain)

    # -- processing (background) ---------------------------------------------------------------

    def start(self) -> None:
        """Start the background worker (it first drains receipts left from before)."""
        if self._task is None:
            self._wake.set()
            self._idle.clear()
            self._task = asyncio.create_task(self._run(), name="zoom-inbox")
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_receipts(), name="zoom-receipts")

    async def stop(self) -> None:
        """Stop the worker; unprocessed receipts stay for the next start."""
        for task in (self._writer, self._task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._writer = None
        while not self._receipts.empty():  # requests still waiting get an error (Zoom retries)
            *_, done = self._receipts.get_nowait()
            if not done.done():
                done.set_exception(RuntimeError("MeetMind is shutting down"))

    async def drained(self) -> None:
        """Wait until every received event has been processed."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while await self.process_pending():
                    pass
            except Exception:  # keep the worker alive; the receipt stays pending for a retry
                log.exception("processing Zoom webhooks failed")
                await self._clock.sleep(1.0)
                self._wake.set()
                continue
            if not self._wake.is_set():
                self._idle.set()

    async def process_pending(self, limit: int = 100) -> int:
        """Process receipts not processed yet, oldest first; returns how many."""
        async with self._database.transaction() as db:
            receipts = await WebhookReceiptRepo(db).pending(limit)
        for receipt in receipts:
            await self._process(receipt.event_hash, receipt.body)
        return len(receipts)

    async def _process(self, event_hash: str, body: str) -> None:
        """Act on one receipt and mark it processed in the same transaction as its changes."""
        webhook = parse_webhook(body.encode())
        stream_event = rtms_stream_event(webhook)
        if stream_event is not None:
            await self._route_stream_event(event_hash, stream_event)
            return
        deauthorized = app_deauthorized(webhook)
        async with self._database.transaction() as db:
            if deauthorized is None:
                outcome = f"ignored event {webhook.event}"
            else:
                removed = await InstallationRepo(db).delete_for_zoom_user(
                    deauthorized.user_id, deauthorized.account_id
                )
                log.info("app_deauthorized: deleted %d installation(s)", removed)
                outcome = f"deleted {removed} installation(s)"
            await WebhookReceiptRepo(db).mark_processed(event_hash, outcome, self._clock.now())

    async def _find_session(self, db: AsyncSession, event: RtmsStreamEvent) -> MeetingRoute | None:
        router = MeetingRouter(db)
        routes = await router.by_stream(event.rtms_stream_id)
        if not routes:
            routes = await router.by_meeting_uuid(event.meeting_uuid)
        if not routes and event.meeting_id and event.kind is RtmsStreamEventKind.STARTED:
            routes = await router.by_meeting_id(event.meeting_id)
        if not routes and event.kind is RtmsStreamEventKind.STARTED:
            tenants = await InstallationRepo(db).tenants_of(event.operator_id, event.account_id)
            routes = await router.awaiting_start(tenants)
        if len(routes) > 1:
            log.warning(
                "RTMS event for meeting %s matches %d sessions; using the newest",
                event.meeting_id or "?",
                len(routes),
            )
        return routes[0] if routes else None

    async def _route_stream_event(self, event_hash: str, event: RtmsStreamEvent) -> None:
        # One transaction finds the session, moves it and marks the receipt; the runtime hears of
        # it after the commit (after a crash in between, start-up resumes the stream from the
        # session's row, which already holds what this event changed).
        async with self._database.transaction() as db:
            route = await self._find_session(db, event)
            failover = False if route is None else await self._apply(db, route, event)
            outcome = (
                f"{event.kind.value}: no matching session"
                if route is None
                else f"{event.kind.value}: session {route.session_id}"
            )
            await WebhookReceiptRepo(db).mark_processed(event_hash, outcome, self._clock.now())
        if route is None:
            log.info(
                "%s for a meeting no session follows (stream %s): nothing created",
                event.kind.value,
                event.rtms_stream_id,
            )
            return
        if self._on_event is not None:
            self._on_event(route.session_id)
        if self.sink is not None:
            if event.kind is RtmsStreamEventKind.STARTED:
                await self.sink.rtms_started(
                    route.tenant_id, route.session_id, event, failover=failover
                )
            elif event.kind is RtmsStreamEventKind.STOPPED:
                await self.sink.rtms_stopped(route.tenant_id, route.session_id, event)
            else:
                await self.sink.rtms_interrupted(route.tenant_id, route.session_id, event)

    async def _apply(self, db: AsyncSession, route: MeetingRoute, event: RtmsStreamEvent) -> bool:
        """Record the event on the session and move its status; True for a failover start."""
        now = self._clock.now()
        failover = False
        row = await SessionRepo(db, route.tenant_id).row(route.session_id, for_update=True)
        current = SessionStatus(row.status)
        target: SessionStatus | None = None
        details: dict[str, object] = {"rtms_stream_id": event.rtms_stream_id}
        if event.kind is RtmsStreamEventKind.STARTED:
            failover = row.rtms_stream_id == event.rtms_stream_id and current in {
                SessionStatus.LISTENING,
                SessionStatus.PAUSED,
            }
            row.meeting_uuid = event.meeting_uuid
            row.rtms_stream_id = event.rtms_stream_id
            row.rtms_server_urls = event.server_urls or row.rtms_server_urls
            target = None if failover else SessionStatus.LISTENING
            details["failover"] = failover
        elif event.kind is RtmsStreamEventKind.STOPPED:
            reason = stop_reason_name(event.stop_reason)
            details["stop_reason"] = event.stop_reason
            if event.stop_reason in FAILURE_STOP_REASONS:
                target = SessionStatus.FAILED
                row.failure_reason = f"RTMS stopped: {reason}"
            else:
                target = SessionStatus.ENDED
        if target is not None and target is not current:
            try:
                check_transition(current, target)
            except IllegalTransitionError:
                log.info("session %s stays %s on %s", row.id, current, event.kind.value)
            else:
                row.status = target.value
                if target is SessionStatus.ENDED:
                    row.ended_at = now
        row.updated_at = now
        await EventRepo(db, route.tenant_id).add(
            route.session_id,
            f"rtms.{event.kind.value.removeprefix('rtms_')}",
            {**details, "status": row.status},
            now,
            dedupe_key=f"zoom:{event.kind.value}:{event.rtms_stream_id}:{event.event_ts}",
        )
        return failover
