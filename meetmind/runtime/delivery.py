"""Outgoing webhooks: deliver the outbox, signed (Standard Webhooks), retried for hours.

Deliveries are written with their event (same transaction), so a crash between the event and
its delivery loses nothing; this worker claims due rows (a lease pushes their next attempt, so
another worker, or this one after a restart, takes over an abandoned one), posts them and
records the outcome. A delivery that keeps failing is retried on ``RETRY_SCHEDULE`` (about
15 hours in all), then marked failed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx

from meetmind.clock import Clock
from meetmind.store.db import Database
from meetmind.store.schema import WebhookDeliveryRow, WebhookEndpointRow
from meetmind.store.vault import KeyRing
from meetmind.store.webhook_repo import DeliveryRepo
from meetmind.webhook_signing import signature_headers

__all__ = ["RETRY_SCHEDULE", "WebhookDelivery", "endpoint_secret_context"]

log = logging.getLogger(__name__)

RETRY_SCHEDULE: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800)
"""Seconds before each retry after a failed attempt (then the delivery is marked failed)."""


def endpoint_secret_context(endpoint_id: str) -> str:
    """Encryption context of an endpoint's signing secret."""
    return f"webhook_endpoints/{endpoint_id}/secret"


class WebhookDelivery:
    """The delivery worker of one process."""

    def __init__(
        self,
        database: Database,
        keyring: KeyRing,
        clock: Clock,
        http: httpx.AsyncClient,
        *,
        retry_scale: float = 1.0,
        batch_size: int = 50,
        lease: timedelta = timedelta(seconds=60),
        timeout: float = 10.0,
        concurrency: int = 16,
    ) -> None:
        self._database = database
        self._keyring = keyring
        self._clock = clock
        self._http = http
        self._retry_scale = retry_scale
        self._batch_size = batch_size
        self._lease = lease
        self._timeout = timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.attempts = 0
        """Delivery attempts made by this process (for metrics and tests)."""
        self.delivered = 0
        """Attempts the endpoint accepted (2xx)."""
        self.failed = 0
        """Deliveries given up on: their last scheduled retry failed too."""

    def wake(self, _session_id: str | None = None) -> None:
        """New deliveries may be due."""
        self._wake.set()

    def start(self) -> None:
        """Start delivering (pending rows from before a restart included)."""
        if self._task is None:
            self._wake.set()
            self._task = asyncio.create_task(self._run(), name="webhook-delivery")

    async def stop(self) -> None:
        """Stop; undelivered rows stay pending in the database."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_due():
                    pass
                wait = await self._seconds_until_due()
            except Exception:
                log.exception("webhook delivery round failed")
                wait = 1.0
            self._wake.clear()
            try:
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _seconds_until_due(self) -> float:
        async with self._database.transaction() as db:
            due = await DeliveryRepo(db).next_due()
        if due is None:
            return 30.0
        return min(30.0, max(0.0, (due - self._clock.now()).total_seconds()))

    async def deliver_due(self) -> int:
        """Deliver what is due now; returns how many attempts were made."""
        now = self._clock.now()
        async with self._database.transaction() as db:
            claimed = await DeliveryRepo(db).claim_due(now, now + self._lease, self._batch_size)
        if claimed:
            await asyncio.gather(*(self._attempt(row, endpoint) for row, endpoint in claimed))
        return len(claimed)

    async def _attempt(self, delivery: WebhookDeliveryRow, endpoint: WebhookEndpointRow) -> None:
        async with self._slots:
            body = delivery.body.encode()
            status: int | None = None
            error: str | None = None
            try:
                secret = self._keyring.decrypt(
                    endpoint.secret_enc, endpoint_secret_context(endpoint.id)
                )
                headers = signature_headers(
                    secret, delivery.msg_id, int(self._clock.now().timestamp()), body
                )
                headers["content-type"] = "application/json"
                headers["user-agent"] = "MeetMind-Webhooks/0.1"
                response = await self._http.post(
                    endpoint.url, content=body, headers=headers, timeout=self._timeout
                )
                status = response.status_code
                if not response.is_success:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            except Exception as exc:  # a broken row must not stop the others
                error = f"{type(exc).__name__}"
                log.exception("delivery %s could not be attempted", delivery.id)
            self.attempts += 1
            delivered = error is None
            if delivered:
                self.delivered += 1
            now = self._clock.now()
            attempt = delivery.attempts  # attempts made before this one
            next_at = None
            if not delivered and attempt < len(RETRY_SCHEDULE):
                delay = RETRY_SCHEDULE[attempt] * self._retry_scale
                next_at = now + timedelta(seconds=delay)
            async with self._database.transaction() as db:
                await DeliveryRepo(db).record_attempt(
                    delivery.id,
                    delivered=delivered,
                    status_code=status,
                    error=error,
                    now=now,
                    next_attempt_at=next_at,
                )
            if not delivered and next_at is None:
                self.failed += 1
            if not delivered:
                log.info(
                    "webhook %s to endpoint %s failed (%s); %s",
                    delivery.msg_id,
                    endpoint.id,
                    error,
                    "retrying" if next_at else "giving up",
                )
