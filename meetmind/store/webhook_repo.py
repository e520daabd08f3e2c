"""Outgoing webhooks: endpoints and the delivery outbox (claimed, retried, logged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meetmind.domain.errors import NotFoundError
from meetmind.store.schema import WebhookDeliveryRow, WebhookEndpointRow

__all__ = ["DeliveryRepo", "EndpointRepo"]


class EndpointRepo:
    """A tenant's webhook endpoints."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self.tenant_id = tenant_id

    async def add(self, row: WebhookEndpointRow) -> None:
        """Store a new endpoint."""
        if row.tenant_id != self.tenant_id:
            raise ValueError("an endpoint must belong to the repository's tenant")
        self._session.add(row)
        await self._session.flush()

    async def all(self) -> list[WebhookEndpointRow]:
        """Every endpoint of the tenant, oldest first."""
        rows = await self._session.scalars(
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == self.tenant_id)
            .order_by(WebhookEndpointRow.created_at, WebhookEndpointRow.id)
        )
        return list(rows)

    async def get(self, endpoint_id: str) -> WebhookEndpointRow:
        """One endpoint; another tenant's is not found."""
        row = await self._session.scalar(
            select(WebhookEndpointRow).where(
                WebhookEndpointRow.id == endpoint_id,
                WebhookEndpointRow.tenant_id == self.tenant_id,
            )
        )
        if row is None:
            raise NotFoundError(f"no webhook endpoint {endpoint_id!r}")
        return row

    async def delete(self, endpoint_id: str) -> None:
        """Delete an endpoint and its pending deliveries."""
        await self.get(endpoint_id)
        await self._session.execute(
            delete(WebhookEndpointRow).where(
                WebhookEndpointRow.id == endpoint_id,
                WebhookEndpointRow.tenant_id == self.tenant_id,
            )
        )

    async def deliveries(self, endpoint_id: str, limit: int) -> list[WebhookDeliveryRow]:
        """The endpoint's deliveries, newest first."""
        await self.get(endpoint_id)
        rows = await self._session.scalars(
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.tenant_id == self.tenant_id,
                WebhookDeliveryRow.endpoint_id == endpoint_id,
            )
            .order_by(WebhookDeliveryRow.id.desc())
            .limit(limit)
        )
        return list(rows)


class DeliveryRepo:
    """The outbox seen by the delivery worker (all tenants)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[WebhookDeliveryRow, WebhookEndpointRow]]:
        """Take due deliveries for this worker: each is leased by pushing its next attempt."""
        query = (
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.status == "pending",
                WebhookDeliveryRow.next_attempt_at <= now,
            )
            .order_by(WebhookDeliveryRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(await self._session.scalars(query))
        if not rows:
            return []
        await self._session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id.in_([row.id for row in rows]))
            .values(next_attempt_at=lease_until)
        )
        endpoints = {
            row.id: row
            for row in await self._session.scalars(
                select(WebhookEndpointRow).where(
                    WebhookEndpointRow.id.in_({row.endpoint_id for row in rows})
                )
            )
        }
        return [(row, endpoints[row.endpoint_id]) for row in rows if row.endpoint_id in endpoints]

    async def record_attempt(
        self,
        delivery_id: int,
        *,
        delivered: bool,
        status_code: int | None,
        error: str | None,
        now: datetime,
        next_attempt_at: datetime | None,
    ) -> None:
        """Store an attempt's outcome: delivered, retry at ``next_attempt_at``, or failed."""
        values: dict[str, object] = {
            "attempts": WebhookDeliveryRow.attempts + 1,
            "last_status": status_code,
            "last_error": error[:500] if error else None,
        }
        if delivered:
            values.update(status="delivered", delivered_at=now)
        elif next_attempt_at is None:
            values.update(status="failed")
        else:
            values.update(next_attempt_at=next_attempt_at)
        await self._session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id).values(values)
        )

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery is due."""
        return await self._session.scalar(
            select(WebhookDeliveryRow.next_attempt_at)
            .where(or_(WebhookDeliveryRow.status == "pending"))
            .order_by(WebhookDeliveryRow.next_attempt_at)
            .limit(1)
        )
